//! The deterministic data model of `recoup generate`: one customer at a time, from a random
//! stream seeded by the run's seed and the customer's place in the run, the rows the portal
//! would hold had that customer really bought: cards kept as the test gateway's tokens, orders
//! routed and charged by the same rules and card table the sale service uses (R-OR-1, R-EN-1,
//! R-TG-1), routing notes in the sale service's words, subscriptions and fulfillments.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, Utc};
use fastrand::Rng;

use super::words;
use super::world::{Card, Entry, World, accepts};
use crate::db::bulk::{
    AddressRow, Batch, BlacklistRow, CustomerRow, FulfillmentRow, GatewaySaleRow, ItemRow,
    LastIds, NoteRow, OrderRow, PaymentMethodRow, SubscriptionRow, TokenRow, TransactionRow,
};
use crate::domain::card::Bin;
use crate::domain::catalogue::Product;
use crate::domain::decline::{DeclineClass, classify};
use crate::domain::mid::Mid;
use crate::domain::money::{Currency, MinorUnits, Money, MoneyError};
use crate::domain::order::{
    FulfillmentStatus, OrderKind, OrderStatus, RouteNote, SubscriptionStatus,
};
use crate::domain::payment::{TransactionKind, TransactionResult};
use crate::domain::provider::Provider;
use crate::domain::sale::{
    PassedOver, Payment, PricedLine, may_take, order_total, pick_by_weight, price_line,
};
use crate::domain::test_gateway::ChargeResult;
use crate::gateway::GatewayError;

/// How far back generated history goes.
const HISTORY_DAYS: i64 = 90;

/// Makes the rows of one customer after another. The same world, seed and first ids give the
/// same rows.
pub struct Generator {
    world: Arc<World>,
    ids: LastIds,
    next_customer: u64,
    /// Statuses no subscription has had yet: the next ones that can take them do, so a run of
    /// any size shows every status.
    unseen_subscriptions: Vec<SubscriptionStatus>,
    unseen_fulfillments: Vec<FulfillmentStatus>,
}

impl Generator {
    pub fn new(world: Arc<World>, after: LastIds) -> Self {
        Self {
            world,
            ids: after,
            next_customer: 0,
            unseen_subscriptions: vec![
                SubscriptionStatus::Recycling,
                SubscriptionStatus::RecycleFailed,
                SubscriptionStatus::Paused,
                SubscriptionStatus::Cancelled,
                SubscriptionStatus::Trial,
                SubscriptionStatus::Active,
            ],
            unseen_fulfillments: FulfillmentStatus::all().collect(),
        }
    }

    /// The largest id used so far in each table.
    pub fn last_ids(&self) -> &LastIds {
        &self.ids
    }

    /// Adds the next customer, with `orders` orders, to `batch`.
    pub fn customer(&mut self, orders: u32, batch: &mut Batch) -> Result<(), MoneyError> {
        let world = Arc::clone(&self.world);
        let rng = Rng::with_seed(mix(world.seed, self.next_customer));
        self.next_customer += 1;
        let mut builder = Builder {
            world: &world,
            rng,
            generator: self,
            batch,
            customer_id: 0,
            wallets: Vec::new(),
            sales: Vec::new(),
            subscriptions: Vec::new(),
        };
        builder.build(orders)
    }
}

/// SplitMix64 of `seed` and `n`: a well-spread seed per customer.
fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A card the customer keeps: its payment method, token and charges so far.
struct Wallet {
    payment_method: i64,
    card: usize,
    token: String,
    charges: u32,
    created_at: DateTime<Utc>,
}

/// An order placed so far, as later orders need it.
struct Sale {
    order: i64,
    at: DateTime<Utc>,
    kind: OrderKind,
    mid: Option<usize>,
    wallet: usize,
    ip: Option<String>,
    approved: bool,
}

/// A subscription being built; its status is settled when the customer is done.
struct Sub {
    row: SubscriptionRow,
    wallet: usize,
    trial: bool,
    next_bill: DateTime<Utc>,
    ended: Option<DeclineClass>,
    last_change: DateTime<Utc>,
}

/// One line of an order as priced.
struct Line {
    product: usize,
    option: Option<String>,
    priced: PricedLine,
    trial: bool,
}

struct Builder<'a> {
    world: &'a World,
    rng: Rng,
    generator: &'a mut Generator,
    batch: &'a mut Batch,
    customer_id: i64,
    wallets: Vec<Wallet>,
    sales: Vec<Sale>,
    subscriptions: Vec<Sub>,
}

/// Picks an index by weight.
fn weighted(rng: &mut Rng, weights: &[(usize, u32)]) -> usize {
    let total: u32 = weights.iter().map(|(_, w)| *w).sum();
    let mut point = rng.u32(0..total.max(1));
    for (i, w) in weights {
        if point < *w {
            return *i;
        }
        point -= w;
    }
    weights.first().map_or(0, |(i, _)| *i)
}

fn pick<T: Copy>(rng: &mut Rng, from: &[T]) -> Option<T> {
    (!from.is_empty()).then(|| from[rng.usize(0..from.len())])
}

fn days(n: i64) -> Duration {
    Duration::days(n)
}

impl Builder<'_> {
    fn next(slot: &mut i64) -> i64 {
        *slot += 1;
        *slot
    }

    fn build(&mut self, orders: u32) -> Result<(), MoneyError> {
        let now = self.world.now;
        let shop = self.rng.usize(0..self.world.shops.len());
        let mut times: Vec<DateTime<Utc>> = (0..orders)
            .map(|_| now - Duration::seconds(self.rng.i64(60..HISTORY_DAYS * 86_400)))
            .collect();
        times.sort();
        let first_at = times.first().copied().unwrap_or(now);
        self.customer(first_at);
        self.wallets(shop, first_at);
        let mut card = 0;
        for (k, at) in times.into_iter().enumerate() {
            let roll = self.rng.u32(0..100);
            let approved_new = self
                .sales
                .iter()
                .enumerate()
                .filter(|(_, s)| s.kind == OrderKind::NewSale && s.approved)
                .map(|(i, _)| i)
                .collect::<Vec<_>>();
            let due: Vec<usize> = (0..self.subscriptions.len())
                .filter(|i| {
                    let sub = &self.subscriptions[*i];
                    sub.ended.is_none() && sub.next_bill <= at
                })
                .collect();
            if k > 0 && roll < 15 && !approved_new.is_empty() {
                let parent = approved_new[self.rng.usize(0..approved_new.len())];
                self.upsale(shop, parent)?;
            } else if k > 0 && roll < 40 && !due.is_empty() {
                let sub = due[self.rng.usize(0..due.len())];
                self.rebill(shop, sub)?;
            } else {
                let approved = self.new_sale(shop, card, at)?;
                if !approved && card + 1 < self.wallets.len() {
                    card += 1;
                }
            }
        }
        self.finish_subscriptions();
        self.finish_wallets();
        Ok(())
    }

    fn customer(&mut self, at: DateTime<Utc>) {
        let id = Self::next(&mut self.generator.ids.customers);
        self.customer_id = id;
        let rng = &mut self.rng;
        let first = pick(rng, words::FIRST_NAMES).unwrap_or("Alex");
        let last = pick(rng, words::LAST_NAMES).unwrap_or("Doe");
        let domain = pick(rng, words::EMAIL_DOMAINS).unwrap_or("example.com");
        let email = format!(
            "{}.{}{id}@{domain}",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let (city, state, zip, area) = pick(rng, words::CITIES).unwrap_or(("Austin", "TX", 787, 512));
        let phone = format!("+1 ({area}) 555-01{:02}", rng.u32(0..100));
        let blacklisted = rng.u32(0..250) == 0;
        let address = |rng: &mut Rng| {
            let street = pick(rng, words::STREETS).unwrap_or("Main");
            let kind = pick(rng, words::STREET_KINDS).unwrap_or("St");
            let line2 = if rng.u32(0..4) == 0 {
                let unit = pick(rng, words::UNITS).unwrap_or("Apt");
                format!("{unit} {}{}", rng.u32(1..40), rng.char('A'..='F'))
            } else {
                String::new()
            };
            (
                format!("{} {street} {kind}", rng.u32(1..9900)),
                line2,
                format!("{zip:03}{:02}", rng.u32(0..100)),
            )
        };
        let (line1, line2, postal_code) = address(rng);
        let shipping = if rng.u32(0..10) == 0 {
            address(rng)
        } else {
            (line1.clone(), line2.clone(), postal_code.clone())
        };
        for (kind, (line1, line2, postal_code)) in [
            ("billing", (line1, line2, postal_code)),
            ("shipping", shipping),
        ] {
            self.batch.addresses.push(AddressRow {
                customer_id: id,
                kind,
                line1,
                line2,
                city,
                state,
                postal_code,
                country: "US",
            });
        }
        if blacklisted {
            let bid = Self::next(&mut self.generator.ids.blacklist);
            self.batch.blacklist.push(BlacklistRow {
                id: bid,
                customer_id: id,
                value: email.clone(),
                reason: pick(&mut self.rng, words::BLACKLIST_REASONS).unwrap_or(""),
                created_at: self.world.now,
            });
        }
        self.batch.customers.push(CustomerRow {
            id,
            first_name: first,
            last_name: last,
            email,
            phone,
            blacklisted,
            created_at: at,
        });
    }

    /// One card, or two (a quarter of customers), from those the shop's MIDs accept.
    fn wallets(&mut self, shop: usize, at: DateTime<Utc>) {
        let count = if self.rng.u32(0..4) == 0 { 2 } else { 1 };
        let cards = self.world.shops[shop].cards.clone();
        let mut chosen: Vec<usize> = Vec::new();
        for _ in 0..count {
            let card = weighted(&mut self.rng, &cards);
            if chosen.contains(&card) {
                continue;
            }
            chosen.push(card);
        }
        for card in chosen {
            let id = Self::next(&mut self.generator.ids.payment_methods);
            let token = format!("tok_{id:012x}{:012x}", self.rng.u64(..) >> 16);
            let c: &Card = &self.world.cards[card];
            self.batch.payment_methods.push(PaymentMethodRow {
                id,
                customer_id: self.customer_id,
                token: token.clone(),
                brand: c.bin.brand,
                card_type: c.bin.card_type,
                first6: c.first6.clone(),
                last4: c.last4.clone(),
                exp_month: self.rng.i64(1..=12),
                exp_year: i64::from(self.world.now.year()) + self.rng.i64(1..=5),
                fingerprint: c.fingerprint.as_str().to_owned(),
                created_at: at,
            });
            self.wallets.push(Wallet {
                payment_method: id,
                card,
                token,
                charges: 0,
                created_at: at,
            });
        }
    }

    /// The vault rows of the customer's tokens, with the charges they saw.
    fn finish_wallets(&mut self) {
        for wallet in &self.wallets {
            self.batch.tokens.push(TokenRow {
                token: wallet.token.clone(),
                scenario: self.world.cards[wallet.card].scenario,
                charges: i64::from(wallet.charges),
                created_at: wallet.created_at,
            });
        }
    }

    /// 1 or 2 lines of the shop's products (a quantity of 1 to 3, sometimes an option).
    fn lines(&mut self, shop: usize, count: usize) -> Result<Vec<Line>, MoneyError> {
        let products = self.world.shops[shop].products.len();
        let mut lines: Vec<Line> = Vec::new();
        for _ in 0..count.min(products) {
            let product = self.rng.usize(0..products);
            if lines.iter().any(|l| l.product == product) {
                continue;
            }
            let quantity = match self.rng.u32(0..100) {
                0..88 => 1,
                88..97 => 2,
                _ => 3,
            };
            let p: &Product = &self.world.shops[shop].products[product].product;
            let option = if !p.options.is_empty() && self.rng.bool() {
                Some(p.options[self.rng.usize(0..p.options.len())].name.clone())
            } else {
                None
            };
            let priced = price_line(p, option.as_deref(), quantity)?;
            lines.push(Line {
                product,
                option,
                priced,
                trial: p.trial.is_some(),
            });
        }
        Ok(lines)
    }

    fn new_sale(&mut self, shop: usize, card: usize, at: DateTime<Utc>) -> Result<bool, MoneyError> {
        let count = if self.rng.u32(0..4) == 0 { 2 } else { 1 };
        let lines = self.lines(shop, count)?;
        let ip = (self.rng.u32(0..10) > 0).then(|| {
            let net = pick(&mut self.rng, &["192.0.2", "198.51.100", "203.0.113"]).unwrap_or("192.0.2");
            format!("{net}.{}", self.rng.u32(1..255))
        });
        let world = self.world;
        let wallet = card.min(self.wallets.len().saturating_sub(1));
        let mut order = self.open(shop, &lines, at)?;
        let bin = self.world.cards[self.wallets[wallet].card].bin;
        let currency = self.world.shops[shop].currency;
        // R-OR-1: the campaign's MID, or one an ATRI profile picks by weight among those that
        // may take the card.
        let first = match &world.shops[shop].entry {
            Entry::Mid(i) => {
                let mid = &self.world.mids[*i];
                if accepts(mid, bin, currency) {
                    order.notes.push(RouteNote::CampaignMid { mid: mid.title.clone() });
                    Some(*i)
                } else {
                    order.notes.push(RouteNote::PassedOver { mid: mid.title.clone(), reason: passed_over(mid, bin, currency) });
                    order.notes.push(RouteNote::NoMid);
                    None
                }
            }
            Entry::Atri { profile, members } => {
                let mut eligible = Vec::new();
                for (i, weight) in members {
                    let mid = &self.world.mids[*i];
                    if accepts(mid, bin, currency) && mid.provider == Provider::Test {
                        eligible.push((mid.id, *weight));
                    } else {
                        order.notes.push(RouteNote::PassedOver { mid: mid.title.clone(), reason: passed_over(mid, bin, currency) });
                    }
                }
                let total_weight = eligible.iter().map(|(_, w)| *w).sum();
                match pick_by_weight(&eligible, self.rng.u64(..)) {
                    Some(id) => {
                        let i = self.world.mids.iter().position(|m| m.id == id).unwrap_or(0);
                        let weight = eligible.iter().find(|(m, _)| *m == id).map_or(0, |(_, w)| *w);
                        order.notes.push(RouteNote::AtriPicked {
                            profile: profile.clone(),
                            mid: self.world.mids[i].title.clone(),
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
        let approved = order.approved.is_some();
        self.close(order, shop, &lines, OrderKind::NewSale, None, wallet, ip);
        Ok(approved)
    }

    /// R-OR-5: more items on the parent's card and MID, never cascaded.
    fn upsale(&mut self, shop: usize, parent: usize) -> Result<(), MoneyError> {
        let lines = self.lines(shop, 1)?;
        let (at, wallet, ip, parent_order, mid) = {
            let p = &self.sales[parent];
            let at = (p.at + Duration::minutes(self.rng.i64(2..40))).min(self.world.now);
            (at, p.wallet, p.ip.clone(), p.order, p.mid)
        };
        let mut order = self.open(shop, &lines, at)?;
        if let Some(mid) = mid {
            let m = &self.world.mids[mid];
            order.notes.push(RouteNote::CampaignMid { mid: m.title.clone() });
            if self.charge(&mut order, mid, wallet) {
                order.notes.push(RouteNote::NotCascaded { reason: "upsales are never cascaded" });
            }
        }
        self.close(order, shop, &lines, OrderKind::Upsale, Some(parent_order), wallet, ip);
        Ok(())
    }

    /// A subscription billed on its date, on its MID and card, at its price.
    fn rebill(&mut self, shop: usize, index: usize) -> Result<(), MoneyError> {
        let (at, wallet, mid, product, option, quantity, unit, cycle, parent) = {
            let sub = &self.subscriptions[index];
            let mid = self.world.mids.iter().position(|m| m.id.0 == sub.row.mid_id).unwrap_or(0);
            let product = self.world.shops[shop].products.iter().position(|p| p.id.0 == sub.row.product_id).unwrap_or(0);
            (
                sub.next_bill + Duration::minutes(self.rng.i64(0..360)),
                sub.wallet,
                mid,
                product,
                sub.row.option_name.clone(),
                u32::try_from(sub.row.quantity).unwrap_or(1),
                sub.row.unit_price_minor,
                sub.row.cycle_days,
                sub.row.order_id,
            )
        };
        let at = at.min(self.world.now);
        let currency = self.world.shops[shop].currency;
        let unit_price = Money::new(MinorUnits::from_minor(unit), currency);
        let price = unit_price.checked_times(quantity)?;
        let lines = vec![Line {
            product,
            option,
            priced: PricedLine { quantity, unit_price, price, charged_now: price },
            trial: false,
        }];
        let mut order = self.open(shop, &lines, at)?;
        let name = &self.world.shops[shop].products[product].product.name;
        order.notes_text.push(format!(
            "Rebill of {name} on {}, the MID the subscription bills on.",
            self.world.mids[mid].title
        ));
        let soft = self.charge(&mut order, mid, wallet);
        let sub = &mut self.subscriptions[index];
        sub.last_change = at;
        if order.approved.is_some() {
            sub.next_bill = at + days(cycle);
        } else {
            sub.ended = Some(if soft { DeclineClass::Soft } else { DeclineClass::Hard });
        }
        self.close(order, shop, &lines, OrderKind::Recurring, Some(parent), wallet, None);
        Ok(())
    }

    /// Starts an order: its id and lines.
    fn open(&mut self, shop: usize, lines: &[Line], at: DateTime<Utc>) -> Result<Open, MoneyError> {
        let id = Self::next(&mut self.generator.ids.orders);
        let priced: Vec<PricedLine> = lines.iter().map(|l| l.priced).collect();
        let total = order_total(&priced)?.unwrap_or(Money::zero(self.world.shops[shop].currency));
        let mut items = Vec::with_capacity(lines.len());
        for line in lines {
            let item = Self::next(&mut self.generator.ids.order_items);
            let product = &self.world.shops[shop].products[line.product];
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
            notes: Vec::new(),
            notes_text: Vec::new(),
            attempts: Vec::new(),
            approved: None,
        })
    }

    /// Charges the order's total on `mid` with the wallet's token, as the test gateway's card
    /// table answers (R-TG-1). Returns whether the answer is a soft decline that may cascade.
    fn charge(&mut self, order: &mut Open, mid: usize, wallet: usize) -> bool {
        let w = &mut self.wallets[wallet];
        let scenario = self.world.cards[w.card].scenario;
        let answer = scenario.sale(order.total, w.charges);
        w.charges += 1;
        let token = w.token.clone();
        let payment_method = w.payment_method;
        let class = (answer.result != ChargeResult::Approved)
            .then(|| classify(&[], &answer.response()));
        let m = &self.world.mids[mid];
        let id = Self::next(&mut self.generator.ids.transactions);
        let reference = format!("tg_{id:012x}{:012x}", self.rng.u64(..) >> 16);
        let key = format!(
            "{:012x}{:016x}:{}",
            order.id,
            self.rng.u64(..),
            order.attempts.len() + 1
        );
        let result = match answer.result {
            ChargeResult::Approved => TransactionResult::Approved,
            ChargeResult::Declined => TransactionResult::Declined,
            ChargeResult::Error => TransactionResult::Error,
        };
        let approved = result == TransactionResult::Approved;
        self.batch.transactions.push(TransactionRow {
            id,
            order_id: order.id,
            mid_id: m.id.0,
            payment_method_id: payment_method,
            kind: TransactionKind::Sale,
            amount_minor: order.total.amount().get(),
            currency: order.total.currency(),
            result,
            response_code: answer.code,
            response_text: answer.text,
            decline_class: class,
            gateway_reference: reference.clone(),
            idempotency_key: key.clone(),
            settled_at: approved.then(|| order.at + m.settlement_delay),
            created_at: order.at,
        });
        self.batch.gateway_sales.push(GatewaySaleRow {
            idempotency_key: key,
            mid_id: m.id.0,
            token,
            amount_minor: order.total.amount().get(),
            currency: order.total.currency(),
            result: answer.result,
            response_code: answer.code,
            response_text: answer.text,
            advice_code: answer.advice_code,
            reference,
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
            order.notes.push(RouteNote::NotCascaded { reason: "a hard decline is never retried" });
        }
        order.attempts.push(mid);
        if approved {
            order.approved = Some(mid);
        }
        class == Some(DeclineClass::Soft)
    }

    /// R-EN-1: a soft decline goes down the MID's cascade until a MID approves or declines
    /// hard; salvage-only MIDs have no connector yet and are noted as skipped, as the sale
    /// service notes them (R-GW-5 first).
    fn cascade(&mut self, order: &mut Open, first: usize, wallet: usize, bin: Bin, has_ip: bool) {
        let world = self.world;
        let Some(cascade) = &world.cascades[first] else {
            order.notes.push(RouteNote::NotCascaded { reason: "the MID has no cascade profile" });
            return;
        };
        for &i in &cascade.mids {
            if order.attempts.contains(&i) {
                continue;
            }
            let mid = &world.mids[i];
            if mid.provider.is_salvage_only() {
                if mid.provider == Provider::FlexFactor && !has_ip {
                    order.notes.push(RouteNote::CascadeSkipped { mid: mid.title.clone(), reason: "no ip address".to_owned() });
                    continue;
                }
                if !mid.enabled {
                    order.notes.push(RouteNote::PassedOver { mid: mid.title.clone(), reason: PassedOver::Disabled });
                    continue;
                }
                order.notes.push(RouteNote::Cascading { to: mid.title.clone(), via: cascade.via.clone() });
                order.notes.push(RouteNote::CascadeSkipped {
                    mid: mid.title.clone(),
                    reason: GatewayError::NoConnector(mid.provider).to_string(),
                });
                continue;
            }
            if !accepts(mid, bin, order.total.currency()) {
                order.notes.push(RouteNote::PassedOver { mid: mid.title.clone(), reason: passed_over(mid, bin, order.total.currency()) });
                continue;
            }
            order.notes.push(RouteNote::Cascading { to: mid.title.clone(), via: cascade.via.clone() });
            if !self.charge(order, i, wallet) {
                return;
            }
        }
    }

    /// Writes the order row and its notes; when approved, its subscriptions and fulfillments.
    #[expect(clippy::too_many_arguments, reason = "one call site per order kind, each naming what differs")]
    fn close(
        &mut self,
        order: Open,
        shop: usize,
        lines: &[Line],
        kind: OrderKind,
        parent: Option<i64>,
        wallet: usize,
        ip: Option<String>,
    ) {
        let world = self.world;
        let took = order.approved.or(order.attempts.last().copied());
        let payment_method = self.wallets[wallet].payment_method;
        for body in order.notes_text.iter().cloned().chain(order.notes.iter().map(ToString::to_string)) {
            let id = Self::next(&mut self.generator.ids.order_notes);
            self.batch.notes.push(NoteRow { id, order_id: order.id, body, created_at: order.at });
        }
        self.batch.orders.push(OrderRow {
            id: order.id,
            customer_id: self.customer_id,
            campaign_id: self.world.shops[shop].campaign.0,
            parent_order_id: parent,
            payment_method_id: Some(payment_method),
            mid_id: took.map(|i| self.world.mids[i].id.0),
            kind,
            status: if order.approved.is_some() { OrderStatus::Complete } else { OrderStatus::Declined },
            currency: order.total.currency(),
            total_minor: order.total.amount().get(),
            ip_address: ip.clone(),
            created_at: order.at,
        });
        self.sales.push(Sale {
            order: order.id,
            at: order.at,
            kind,
            mid: took,
            wallet,
            ip,
            approved: order.approved.is_some(),
        });
        let Some(mid) = order.approved else {
            return;
        };
        for (line, item) in lines.iter().zip(&order.items) {
            let product: &Product = &world.shops[shop].products[line.product].product;
            if kind != OrderKind::Recurring
                && let Some(cycle) = product.cycle_days
            {
                let first = product.trial.map_or(cycle, |t| t.days);
                let row = SubscriptionRow {
                    id: Self::next(&mut self.generator.ids.subscriptions),
                    order_id: order.id,
                    order_item_id: *item,
                    customer_id: self.customer_id,
                    product_id: self.world.shops[shop].products[line.product].id.0,
                    mid_id: self.world.mids[mid].id.0,
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
                self.subscriptions.push(Sub {
                    row,
                    wallet,
                    trial: product.trial.is_some(),
                    next_bill: order.at + days(i64::from(first)),
                    ended: None,
                    last_change: order.at,
                });
            }
            if product.shippable {
                self.fulfillment(order.id, *item, order.at);
            }
        }
    }

    fn fulfillment(&mut self, order: i64, item: i64, at: DateTime<Utc>) {
        let now = self.world.now;
        let age = (now - at).num_hours();
        let roll = self.rng.u32(0..100);
        let natural = match age {
            0..48 => FulfillmentStatus::Pending,
            48..192 if roll < 80 => FulfillmentStatus::Shipped,
            48..192 => FulfillmentStatus::Pending,
            _ if roll < 4 => FulfillmentStatus::Returned,
            _ if roll < 7 => FulfillmentStatus::Cancelled,
            _ if roll < 14 => FulfillmentStatus::Shipped,
            _ => FulfillmentStatus::Delivered,
        };
        let status = if self.generator.unseen_fulfillments.is_empty() {
            natural
        } else {
            self.generator.unseen_fulfillments.remove(0)
        };
        let id = Self::next(&mut self.generator.ids.fulfillments);
        let tracking = matches!(
            status,
            FulfillmentStatus::Shipped | FulfillmentStatus::Delivered | FulfillmentStatus::Returned
        )
        .then(|| format!("1Z{:04X}{id:012}", self.rng.u16(..)));
        let reason = match status {
            FulfillmentStatus::Returned => "Returned by the customer",
            FulfillmentStatus::Cancelled => "Cancelled before shipping",
            _ => "",
        };
        let moved = match status {
            FulfillmentStatus::Pending => at,
            _ => (at + Duration::hours(self.rng.i64(24..120))).min(now),
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

    /// Settles each subscription's status from what happened to it: a declined rebill leaves
    /// it recycling (soft) or failed (hard); otherwise some are cancelled or paused, and the
    /// rest are in trial or active, billing next in the future.
    fn finish_subscriptions(&mut self) {
        let now = self.world.now;
        for mut sub in std::mem::take(&mut self.subscriptions) {
            let roll = self.rng.u32(0..100);
            let in_trial = sub.trial && sub.next_bill > now && sub.last_change == sub.row.created_at;
            let natural = match sub.ended {
                Some(DeclineClass::Soft) => SubscriptionStatus::Recycling,
                Some(DeclineClass::Hard) => SubscriptionStatus::RecycleFailed,
                None if roll < 8 => SubscriptionStatus::Cancelled,
                None if roll < 14 => SubscriptionStatus::Paused,
                None if in_trial => SubscriptionStatus::Trial,
                None => SubscriptionStatus::Active,
            };
            let unseen = &mut self.generator.unseen_subscriptions;
            let status = match unseen
                .iter()
                .position(|s| *s != SubscriptionStatus::Trial || sub.trial)
            {
                Some(i) => unseen.remove(i),
                None => natural,
            };
            let since = sub.last_change;
            let changed = since + Duration::seconds(self.rng.i64(0..=(now - since).num_seconds().max(0)));
            let cycle = days(sub.row.cycle_days);
            let mut upcoming = sub.next_bill;
            while upcoming <= now {
                upcoming += cycle;
            }
            let r = &mut sub.row;
            r.status = status;
            match status {
                SubscriptionStatus::Active => r.next_bill_at = Some(upcoming),
                SubscriptionStatus::Trial => {
                    r.next_bill_at = Some(sub.next_bill.max(now + days(1)));
                }
                SubscriptionStatus::Paused => {
                    r.paused_until = Some(now + days(self.rng.i64(7..60)));
                    r.updated_at = changed;
                }
                SubscriptionStatus::Cancelled => {
                    r.cancel_reason = pick(&mut self.rng, words::CANCEL_REASONS);
                    r.updated_at = changed;
                }
                SubscriptionStatus::Recycling => {
                    r.next_bill_at = Some(now + days(self.rng.i64(1..8)));
                    r.updated_at = since;
                }
                SubscriptionStatus::RecycleFailed => r.updated_at = since,
            }
            if r.updated_at < sub.last_change {
                r.updated_at = sub.last_change;
            }
            self.batch.subscriptions.push(sub.row);
        }
    }
}

/// An order being routed: its id, time, total, item ids, notes and charges so far.
struct Open {
    id: i64,
    at: DateTime<Utc>,
    total: Money,
    items: Vec<i64>,
    notes: Vec<RouteNote>,
    /// Notes that are not routing steps (a rebill's), written first.
    notes_text: Vec<String>,
    /// MID indices charged, in order.
    attempts: Vec<usize>,
    approved: Option<usize>,
}

/// Why `mid` cannot take a sale with `bin` (only asked after [`accepts`] said no).
fn passed_over(mid: &Mid, bin: Bin, currency: Currency) -> PassedOver {
    let zero = Money::zero(currency);
    match may_take(mid, Payment::Card(bin), zero, Money::zero(mid.currency)) {
        Err(reason) => reason,
        Ok(()) => PassedOver::Disabled,
    }
}
