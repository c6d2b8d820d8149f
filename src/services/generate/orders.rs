//! One generated order, made as the sale service would have made it: lines priced by the
//! domain (R-OR-2), the campaign's MID or an ATRI pick (R-OR-1), charged and cascaded as
//! [`super::charges`] does it, every step written as the sale service words it, and for an
//! approved order its subscriptions (R-OR-3) and fulfillments. Upsales go on the parent's card
//! and MID, never cascaded (R-OR-5); rebills on the subscription's.

use chrono::{DateTime, Duration, Utc};

use super::charges::passed_over;
use super::model::{Step, Sub, next, pick};
use super::world::{Entry, accepts};
use crate::db::bulk::{FulfillmentRow, ItemRow, NoteRow, OrderRow, SubscriptionRow};
use crate::domain::decline::DeclineClass;
use crate::domain::money::{MinorUnits, Money, MoneyError};
use crate::domain::order::{
    FulfillmentStatus, OrderKind, OrderStatus, RouteNote, SubscriptionStatus,
};
use crate::domain::provider::Provider;
use crate::domain::sale::{PricedLine, order_total, pick_by_weight, price_line};

/// Percent of order slots that rebill a due subscription, when one is due.
const REBILL_PERCENT: u32 = 30;
/// Percent of approved new sales followed at once by an upsale, when a slot is left for it.
const UPSALE_PERCENT: u32 = 25;

/// One line of an order as priced.
struct Line {
    /// Index into the shop's products.
    product: usize,
    option: Option<String>,
    priced: PricedLine,
    trial: bool,
}

/// An order being routed: its id, time, total, item ids, notes and charges so far.
pub(super) struct Open {
    pub(super) id: i64,
    pub(super) at: DateTime<Utc>,
    pub(super) total: Money,
    pub(super) items: Vec<i64>,
    /// Notes that are not routing steps (a rebill's), written first.
    pub(super) preface: Option<String>,
    pub(super) notes: Vec<RouteNote>,
    /// MID indices charged, in order.
    pub(super) attempts: Vec<usize>,
    pub(super) approved: Option<usize>,
}

/// What an order is recorded with, besides its routing.
struct Recorded {
    kind: OrderKind,
    parent: Option<i64>,
    wallet: usize,
    ip: Option<String>,
}

impl Step<'_> {
    /// The customer's order in the slot at `at`: a rebill of a due subscription now and then,
    /// else a new sale (sometimes followed by an upsale).
    pub(super) fn order(&mut self, at: DateTime<Utc>) -> Result<(), MoneyError> {
        let due: Vec<usize> = (0..self.person.subscriptions.len())
            .filter(|i| {
                let sub = &self.person.subscriptions[*i];
                sub.ended.is_none() && sub.next_bill <= at
            })
            .collect();
        if !due.is_empty() && self.person.rng.u32(0..100) < REBILL_PERCENT {
            let sub = due[self.person.rng.usize(0..due.len())];
            return self.rebill(sub, at);
        }
        let (order, approved_on, wallet, ip) = self.new_sale(at)?;
        if let Some(mid) = approved_on {
            if self.person.slots > self.person.skip && self.person.rng.u32(0..100) < UPSALE_PERCENT
            {
                self.person.skip += 1;
                self.upsale(order, mid, wallet, ip, at)?;
            }
        } else if self.person.card + 1 < self.person.wallets.len() {
            self.person.card += 1;
        }
        Ok(())
    }

    /// 1 or 2 lines of the shop's products (a quantity of 1 to 3, sometimes an option).
    fn lines(&mut self, count: usize) -> Result<Vec<Line>, MoneyError> {
        let products = &self.world.shops[self.person.shop].products;
        let rng = &mut self.person.rng;
        let mut lines: Vec<Line> = Vec::with_capacity(count);
        for _ in 0..count.min(products.len()) {
            let product = rng.usize(0..products.len());
            if lines.iter().any(|l| l.product == product) {
                continue;
            }
            let quantity = match rng.u32(0..100) {
                0..88 => 1,
                88..97 => 2,
                _ => 3,
            };
            let p = &products[product].product;
            let option = (!p.options.is_empty() && rng.bool())
                .then(|| p.options[rng.usize(0..p.options.len())].name.clone());
            lines.push(Line {
                product,
                priced: price_line(p, option.as_deref(), quantity)?,
                option,
                trial: p.trial.is_some(),
            });
        }
        Ok(lines)
    }

    /// A new sale on the customer's current card. Answers the order, the MID that approved it
    /// (if one did), the wallet and the ip address.
    fn new_sale(
        &mut self,
        at: DateTime<Utc>,
    ) -> Result<(i64, Option<usize>, usize, Option<String>), MoneyError> {
        let world = self.world;
        let shop = &world.shops[self.person.shop];
        let count = if self.person.rng.u32(0..4) == 0 { 2 } else { 1 };
        let lines = self.lines(count)?;
        let rng = &mut self.person.rng;
        let ip = (rng.u32(0..10) > 0).then(|| {
            let net = pick(rng, &["192.0.2", "198.51.100", "203.0.113"]).unwrap_or("192.0.2");
            format!("{net}.{}", rng.u32(1..255))
        });
        let wallet = self.person.card;
        let bin = world.cards[self.person.wallets[wallet].card].bin;
        let mut order = self.open(&lines, at)?;
        // R-OR-1: the campaign's MID, or the one its ATRI profile picks by weight among those
        // that may take the card.
        let first = match &shop.entry {
            Entry::Mid(i) => {
                let mid = &world.mids[*i];
                if accepts(mid, bin, shop.currency) {
                    order.notes.push(RouteNote::CampaignMid {
                        mid: mid.title.clone(),
                    });
                    Some(*i)
                } else {
                    order.notes.push(RouteNote::PassedOver {
                        mid: mid.title.clone(),
                        reason: passed_over(mid, bin, shop.currency),
                    });
                    order.notes.push(RouteNote::NoMid);
                    None
                }
            }
            Entry::Atri { profile, members } => {
                let mut eligible = Vec::new();
                for (i, weight) in members {
                    let mid = &world.mids[*i];
                    if mid.provider == Provider::Test && accepts(mid, bin, shop.currency) {
                        eligible.push((mid.id, *weight));
                    } else {
                        order.notes.push(RouteNote::PassedOver {
                            mid: mid.title.clone(),
                            reason: passed_over(mid, bin, shop.currency),
                        });
                    }
                }
                let total_weight = eligible.iter().map(|(_, w)| *w).sum();
                let picked = pick_by_weight(&eligible, self.person.rng.u64(..))
                    .and_then(|id| world.mids.iter().position(|m| m.id == id));
                match picked {
                    Some(i) => {
                        let weight = eligible
                            .iter()
                            .find(|(m, _)| *m == world.mids[i].id)
                            .map_or(0, |(_, w)| *w);
                        order.notes.push(RouteNote::AtriPicked {
                            profile: profile.clone(),
                            mid: world.mids[i].title.clone(),
                            weight,
                            total_weight,
                        });
                        Some(i)
                    }
                    None => {
                        order.notes.push(RouteNote::NoMid);
                        None
                    }
                }
            }
        };
        if let Some(first) = first
            && self.charge(&mut order, first, wallet)
        {
            self.cascade(&mut order, first, wallet, bin, ip.is_some());
        }
        let (id, approved) = (order.id, order.approved);
        let recorded = Recorded {
            kind: OrderKind::NewSale,
            parent: None,
            wallet,
            ip: ip.clone(),
        };
        self.close(order, &lines, recorded);
        Ok((id, approved, wallet, ip))
    }

    /// R-OR-5: one more item, minutes after the parent, on its card and MID, never cascaded.
    fn upsale(
        &mut self,
        parent: i64,
        mid: usize,
        wallet: usize,
        ip: Option<String>,
        parent_at: DateTime<Utc>,
    ) -> Result<(), MoneyError> {
        let lines = self.lines(1)?;
        let at = (parent_at + Duration::minutes(self.person.rng.i64(2..40))).min(self.world.now);
        let mut order = self.open(&lines, at)?;
        order.notes.push(RouteNote::CampaignMid {
            mid: self.world.mids[mid].title.clone(),
        });
        if self.charge(&mut order, mid, wallet) {
            order.notes.push(RouteNote::NotCascaded {
                reason: "upsales are never cascaded",
            });
        }
        let recorded = Recorded {
            kind: OrderKind::Upsale,
            parent: Some(parent),
            wallet,
            ip,
        };
        self.close(order, &lines, recorded);
        Ok(())
    }

    /// Subscription `index` billed at `at` on its MID and card, at its price. A decline ends
    /// its billing (it is salvaged, or failed, by the engine).
    fn rebill(&mut self, index: usize, at: DateTime<Utc>) -> Result<(), MoneyError> {
        let world = self.world;
        let shop = &world.shops[self.person.shop];
        let sub = &self.person.subscriptions[index];
        let row = &sub.row;
        let mid = world.mids.iter().position(|m| m.id.0 == row.mid_id);
        let product = shop.products.iter().position(|p| p.id.0 == row.product_id);
        let (Some(mid), Some(product)) = (mid, product) else {
            return Ok(());
        };
        let quantity = u32::try_from(row.quantity).unwrap_or(1);
        let unit_price = Money::new(MinorUnits::from_minor(row.unit_price_minor), shop.currency);
        let price = unit_price.checked_times(quantity)?;
        let (wallet, parent, option, cycle, sub_id) = (
            sub.wallet,
            row.order_id,
            row.option_name.clone(),
            row.cycle_days,
            row.id,
        );
        let lines = [Line {
            product,
            option,
            priced: PricedLine {
                quantity,
                unit_price,
                price,
                charged_now: price,
            },
            trial: false,
        }];
        let mut order = self.open(&lines, at)?;
        order.preface = Some(format!(
            "Rebill of subscription {} ({}) on {}, the MID it bills on.",
            sub_id, shop.products[product].product.name, world.mids[mid].title
        ));
        let soft = self.charge(&mut order, mid, wallet);
        let sub = &mut self.person.subscriptions[index];
        sub.last_change = at;
        if order.approved.is_some() {
            sub.next_bill = at + Duration::days(cycle);
        } else {
            sub.ended = Some(if soft {
                DeclineClass::Soft
            } else {
                DeclineClass::Hard
            });
        }
        let recorded = Recorded {
            kind: OrderKind::Recurring,
            parent: Some(parent),
            wallet,
            ip: None,
        };
        self.close(order, &lines, recorded);
        Ok(())
    }

    /// Starts an order: its id and its lines.
    fn open(&mut self, lines: &[Line], at: DateTime<Utc>) -> Result<Open, MoneyError> {
        let shop = &self.world.shops[self.person.shop];
        let id = next(&mut self.ids.orders);
        let priced: Vec<PricedLine> = lines.iter().map(|l| l.priced).collect();
        let total = order_total(&priced)?.unwrap_or(Money::zero(shop.currency));
        let mut items = Vec::with_capacity(lines.len());
        for line in lines {
            let item = next(&mut self.ids.order_items);
            let product = &shop.products[line.product];
            self.batch.items.push(ItemRow {
                id: item,
                order_id: id,
                product_id: product.id.0,
                product_name: product.product.name.clone(),
                option_name: line.option.clone(),
                quantity: i64::from(line.priced.quantity),
                unit_price_minor: line.priced.unit_price.amount().get(),
                price_minor: line.priced.price.amount().get(),
                charged_minor: line.priced.charged_now.amount().get(),
                trial: line.trial,
            });
            items.push(item);
        }
        Ok(Open {
            id,
            at,
            total,
            items,
            preface: None,
            notes: Vec::new(),
            attempts: Vec::new(),
            approved: None,
        })
    }

    /// Writes the order and its notes; when approved, its subscriptions and fulfillments.
    fn close(&mut self, order: Open, lines: &[Line], r: Recorded) {
        let world = self.world;
        let shop = &world.shops[self.person.shop];
        let took = order.approved.or(order.attempts.last().copied());
        let payment_method = self.person.wallets[r.wallet].payment_method;
        let bodies = order
            .preface
            .into_iter()
            .chain(order.notes.iter().map(ToString::to_string));
        for body in bodies {
            self.batch.notes.push(NoteRow {
                id: next(&mut self.ids.order_notes),
                order_id: order.id,
                body,
                created_at: order.at,
            });
        }
        self.batch.orders.push(OrderRow {
            id: order.id,
            customer_id: self.person.id,
            campaign_id: shop.campaign.0,
            parent_order_id: r.parent,
            payment_method_id: Some(payment_method),
            mid_id: took.map(|i| world.mids[i].id.0),
            kind: r.kind,
            status: if order.approved.is_some() {
                OrderStatus::Complete
            } else {
                OrderStatus::Declined
            },
            currency: order.total.currency(),
            total_minor: order.total.amount().get(),
            ip_address: r.ip,
            created_at: order.at,
        });
        let Some(mid) = order.approved else {
            return;
        };
        for (line, item) in lines.iter().zip(&order.items) {
            let stored = &shop.products[line.product];
            let product = &stored.product;
            if r.kind != OrderKind::Recurring
                && let Some(cycle) = product.cycle_days
            {
                let first_bill = product.trial.map_or(cycle, |t| t.days);
                let row = SubscriptionRow {
                    id: next(&mut self.ids.subscriptions),
                    order_id: order.id,
                    order_item_id: *item,
                    customer_id: self.person.id,
                    product_id: stored.id.0,
                    mid_id: world.mids[mid].id.0,
                    payment_method_id: payment_method,
                    status: SubscriptionStatus::Active,
                    option_name: line.option.clone(),
                    quantity: i64::from(line.priced.quantity),
                    unit_price_minor: line.priced.unit_price.amount().get(),
                    price_minor: line.priced.price.amount().get(),
                    currency: line.priced.price.currency(),
                    cycle_days: i64::from(cycle),
                    next_bill_at: None,
                    paused_until: None,
                    cancel_reason: None,
                    created_at: order.at,
                    updated_at: order.at,
                };
                self.person.subscriptions.push(Sub {
                    row,
                    wallet: r.wallet,
                    trial: product.trial.is_some(),
                    next_bill: order.at + Duration::days(i64::from(first_bill)),
                    ended: None,
                    last_change: order.at,
                });
            }
            if product.shippable {
                self.fulfillment(order.id, *item, order.at);
            }
        }
    }

    /// A fulfillment whose status goes with the order's age: pending for two days, then
    /// shipped, mostly delivered after a week, a few returned or cancelled.
    fn fulfillment(&mut self, order: i64, item: i64, at: DateTime<Utc>) {
        let now = self.world.now;
        let age = (now - at).num_hours();
        let rng = &mut self.person.rng;
        let roll = rng.u32(0..100);
        let natural = match age {
            ..48 => FulfillmentStatus::Pending,
            48..192 if roll < 80 => FulfillmentStatus::Shipped,
            48..192 => FulfillmentStatus::Pending,
            _ if roll < 4 => FulfillmentStatus::Returned,
            _ if roll < 7 => FulfillmentStatus::Cancelled,
            _ if roll < 14 => FulfillmentStatus::Shipped,
            _ => FulfillmentStatus::Delivered,
        };
        // A status not seen yet, where this order's age allows it (an old one can still be
        // pending: a back order).
        let fits = |status: &FulfillmentStatus| match status {
            FulfillmentStatus::Pending | FulfillmentStatus::Cancelled => true,
            FulfillmentStatus::Shipped => age >= 24,
            FulfillmentStatus::Delivered | FulfillmentStatus::Returned => age >= 72,
        };
        let unseen = &mut self.unseen.fulfillments;
        let status = match unseen.iter().position(fits) {
            Some(i) => unseen.remove(i),
            None => natural,
        };
        let id = next(&mut self.ids.fulfillments);
        let tracking = matches!(
            status,
            FulfillmentStatus::Shipped | FulfillmentStatus::Delivered | FulfillmentStatus::Returned
        )
        .then(|| format!("1Z{:04X}{id:012}", rng.u16(..)));
        let reason = match status {
            FulfillmentStatus::Returned => "Returned by the customer",
            FulfillmentStatus::Cancelled => "Cancelled before shipping",
            _ => "",
        };
        let moved = match status {
            FulfillmentStatus::Pending => at,
            _ => (at + Duration::hours(rng.i64(24..120))).min(now),
        };
        self.batch.fulfillments.push(FulfillmentRow {
            id,
            order_id: order,
            order_item_id: item,
            status,
            tracking_number: tracking,
            reason,
            created_at: at,
            updated_at: moved,
        });
    }
}
