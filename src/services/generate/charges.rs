//! Charging a generated order: each charge answered by the test gateway's card table after the
//! token's earlier charges (R-TG-1), classified by `classify()` with no mappings, recorded as
//! the transaction and as the gateway's own record of the request (same key and reference, so
//! refunds and voids of it work), and a soft decline cascaded down the MID's cascade profile
//! (R-EN-1, R-GW-4, R-GW-5), each step noted as the sale service notes it.

use super::model::{Step, next};
use super::orders::Open;
use super::world::accepts;
use crate::db::bulk::{GatewaySaleRow, TransactionRow};
use crate::domain::card::Bin;
use crate::domain::decline::{DeclineClass, classify};
use crate::domain::mid::Mid;
use crate::domain::money::{Currency, Money};
use crate::domain::order::RouteNote;
use crate::domain::payment::{TransactionKind, TransactionResult};
use crate::domain::provider::Provider;
use crate::domain::sale::{PassedOver, Payment, may_take};
use crate::domain::test_gateway::ChargeResult;
use crate::gateway::GatewayError;

/// Why `mid` cannot take a sale with `bin` (asked after [`accepts`] said no).
pub(super) fn passed_over(mid: &Mid, bin: Bin, currency: Currency) -> PassedOver {
    match may_take(
        mid,
        Payment::Card(bin),
        Money::zero(currency),
        Money::zero(mid.currency),
    ) {
        Err(reason) => reason,
        Ok(()) => PassedOver::Disabled,
    }
}

impl Step<'_> {
    /// Charges the order's total on MID `mid` with the wallet's token, answered by the test
    /// gateway's card table after the token's earlier charges (R-TG-1), and records the
    /// transaction and the gateway's own record of it. Answers whether it was a soft decline.
    pub(super) fn charge(&mut self, order: &mut Open, mid: usize, wallet: usize) -> bool {
        let world = self.world;
        let w = &mut self.person.wallets[wallet];
        let answer = world.cards[w.card].scenario.sale(order.total, w.charges);
        w.charges += 1;
        let class =
            (answer.result != ChargeResult::Approved).then(|| classify(&[], &answer.response()));
        let result = TransactionResult::from(answer.result);
        let m = &world.mids[mid];
        let id = next(&mut self.ids.transactions);
        let rng = &mut self.person.rng;
        // Shaped like the sale service's: a random reference and key, here with the id first
        // so they are unique in the database and arrive in index order.
        let reference = format!("tg_{id:012x}{:012x}", rng.u64(..) >> 16);
        let key = format!(
            "{:012x}{:016x}:{}",
            order.id,
            rng.u64(..),
            order.attempts.len() + 1
        );
        let amount = order.total.amount().get();
        let approved = result == TransactionResult::Approved;
        self.batch.gateway_sales.push(GatewaySaleRow {
            idempotency_key: key.clone(),
            mid_id: m.id.0,
            token: w.token.clone(),
            amount_minor: amount,
            currency: order.total.currency(),
            result: answer.result,
            response_code: answer.code,
            response_text: answer.text,
            advice_code: answer.advice_code,
            reference: reference.clone(),
            created_at: order.at,
        });
        self.batch.transactions.push(TransactionRow {
            id,
            order_id: order.id,
            mid_id: m.id.0,
            payment_method_id: w.payment_method,
            kind: TransactionKind::Sale,
            amount_minor: amount,
            currency: order.total.currency(),
            result,
            response_code: answer.code,
            response_text: answer.text,
            decline_class: class,
            gateway_reference: reference,
            idempotency_key: key,
            settled_at: approved.then(|| order.at + m.settlement_delay),
            created_at: order.at,
        });
        order.notes.push(RouteNote::Charged {
            mid: m.title.clone(),
            amount: order.total,
            result: result.key(),
            code: answer.code.to_owned(),
            text: answer.text.to_owned(),
            class: class.map(DeclineClass::key),
        });
        if class == Some(DeclineClass::Hard) {
            order.notes.push(RouteNote::NotCascaded {
                reason: "a hard decline is never retried",
            });
        }
        order.attempts.push(mid);
        if approved {
            order.approved = Some(mid);
        }
        class == Some(DeclineClass::Soft)
    }

    /// R-EN-1: a soft decline goes down the MID's cascade until a MID approves or declines
    /// hard. Salvage-only MIDs have no connector yet: they are noted as skipped, as the sale
    /// service notes them (R-GW-5 first).
    pub(super) fn cascade(
        &mut self,
        order: &mut Open,
        first: usize,
        wallet: usize,
        bin: Bin,
        has_ip: bool,
    ) {
        let world = self.world;
        let Some(cascade) = &world.cascades[first] else {
            order.notes.push(RouteNote::NotCascaded {
                reason: "the MID has no cascade profile",
            });
            return;
        };
        for &i in &cascade.mids {
            if order.attempts.contains(&i) {
                continue;
            }
            let mid = &world.mids[i];
            let title = || mid.title.clone();
            if mid.provider.is_salvage_only() {
                if mid.provider == Provider::FlexFactor && !has_ip {
                    order.notes.push(RouteNote::CascadeSkipped {
                        mid: title(),
                        reason: "no ip address".to_owned(),
                    });
                } else if !mid.enabled {
                    order.notes.push(RouteNote::PassedOver {
                        mid: title(),
                        reason: PassedOver::Disabled,
                    });
                } else {
                    order.notes.push(RouteNote::Cascading {
                        to: title(),
                        via: cascade.via.clone(),
                    });
                    order.notes.push(RouteNote::CascadeSkipped {
                        mid: title(),
                        reason: GatewayError::NoConnector(mid.provider).to_string(),
                    });
                }
                continue;
            }
            if !accepts(mid, bin, order.total.currency()) {
                order.notes.push(RouteNote::PassedOver {
                    mid: title(),
                    reason: passed_over(mid, bin, order.total.currency()),
                });
                continue;
            }
            order.notes.push(RouteNote::Cascading {
                to: title(),
                via: cascade.via.clone(),
            });
            if !self.charge(order, i, wallet) {
                return;
            }
        }
    }
}
