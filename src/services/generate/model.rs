//! The deterministic data model of `recoup generate`. Each customer has a random stream of its
//! own, seeded by the run's seed and the customer's place in the run, which decides its orders'
//! times up front; the orders of all customers (in cohorts of [`COHORT`]) are then made in time
//! order, as a live portal would have taken them, so ids grow with time and the time-ordered
//! indexes are written at their end instead of all over. What one order holds is made in
//! [`super::orders`], a customer's details and cards in [`super::people`].

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use fastrand::Rng;

use super::world::World;
use crate::db::bulk::{Batch, LastIds, SubscriptionRow, TokenRow};
use crate::domain::decline::DeclineClass;
use crate::domain::money::MoneyError;
use crate::domain::order::{FulfillmentStatus, SubscriptionStatus};

/// How far back generated history goes.
pub(super) const HISTORY_DAYS: i64 = 90;
/// Customers made in time order together: enough that the time-ordered indexes grow at their
/// end, few enough that their state stays small (a few hundred bytes each).
const COHORT: u64 = 200_000;

/// Makes batches of rows. The same world, seed, plan and first ids give the same rows.
pub struct Generator {
    world: Arc<World>,
    orders_per_customer: u32,
    customers: u64,
    /// Customers whose cohort has started.
    begun: u64,
    /// Customers written so far.
    written: u64,
    /// The ids the run started after.
    after: LastIds,
    ids: LastIds,
    unseen: Unseen,
    cohort: Cohort,
}

/// Statuses nothing has had yet: the next rows that can take them do, so a run of any size
/// shows every status.
pub(super) struct Unseen {
    pub subscriptions: Vec<SubscriptionStatus>,
    pub fulfillments: Vec<FulfillmentStatus>,
}

#[derive(Default)]
struct Cohort {
    people: Vec<Person>,
    /// (time, person) of every order slot, in time order.
    events: Vec<(DateTime<Utc>, u32)>,
    next: usize,
    /// Written when the cohort is done: a subscription's status settles with the customer's
    /// last order and a token's charge count with its last charge.
    subscriptions: Vec<SubscriptionRow>,
    tokens: Vec<TokenRow>,
    /// Whether those are in id order yet.
    sorted: bool,
}

/// A customer being made: its random stream and what its later orders need.
pub(super) struct Person {
    pub rng: Rng,
    pub shop: usize,
    /// 0 until its first order.
    pub id: i64,
    /// Order slots still to come, and how many of them an upsale already took.
    pub slots: u32,
    pub skip: u32,
    /// The card new sales try: the next one after a declined new sale.
    pub card: usize,
    pub wallets: Vec<Wallet>,
    pub subscriptions: Vec<Sub>,
}

/// A card the customer keeps: its payment method, token and charges so far.
pub(super) struct Wallet {
    pub payment_method: i64,
    pub card: usize,
    pub token: String,
    pub charges: u32,
    pub created_at: DateTime<Utc>,
}

/// A subscription being made; its status settles when the customer is done.
pub(super) struct Sub {
    pub row: SubscriptionRow,
    pub wallet: usize,
    pub trial: bool,
    pub next_bill: DateTime<Utc>,
    /// How a rebill declined, which ends its billing.
    pub ended: Option<DeclineClass>,
    pub last_change: DateTime<Utc>,
}

/// What one step of the model works on: the world, the ids so far, the batch, and a customer.
pub(super) struct Step<'a> {
    pub world: &'a World,
    pub ids: &'a mut LastIds,
    pub unseen: &'a mut Unseen,
    pub batch: &'a mut Batch,
    pub person: &'a mut Person,
}

/// The next id after `slot`.
pub(super) fn next(slot: &mut i64) -> i64 {
    *slot += 1;
    *slot
}

/// Picks an index by weight.
pub(super) fn weighted(rng: &mut Rng, weights: &[(usize, u32)]) -> usize {
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

pub(super) fn pick<T: Copy>(rng: &mut Rng, from: &[T]) -> Option<T> {
    (!from.is_empty()).then(|| from[rng.usize(0..from.len())])
}

/// SplitMix64 of `seed` and `n`: a well-spread seed per customer.
fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Generator {
    /// A run of `customers` customers with `orders_per_customer` orders each, its ids after
    /// `after`.
    pub fn new(
        world: Arc<World>,
        customers: u64,
        orders_per_customer: u32,
        after: LastIds,
    ) -> Self {
        Self {
            world,
            orders_per_customer,
            customers,
            begun: 0,
            written: 0,
            after,
            ids: after,
            unseen: Unseen {
                subscriptions: vec![
                    SubscriptionStatus::Recycling,
                    SubscriptionStatus::RecycleFailed,
                    SubscriptionStatus::Paused,
                    SubscriptionStatus::Cancelled,
                    SubscriptionStatus::Trial,
                    SubscriptionStatus::Active,
                ],
                fulfillments: FulfillmentStatus::all().collect(),
            },
            cohort: Cohort::default(),
        }
    }

    /// The largest id used so far in each table.
    pub fn last_ids(&self) -> &LastIds {
        &self.ids
    }

    /// Customers written so far.
    pub fn customers_written(&self) -> u64 {
        self.written
    }

    /// Orders written so far.
    pub fn orders_written(&self) -> u64 {
        u64::try_from(self.ids.orders - self.after.orders).unwrap_or(0)
    }

    /// Adds rows to `batch` until it holds about `rows` rows or the run is done; answers
    /// whether more is to come.
    pub fn fill(&mut self, batch: &mut Batch, rows: usize) -> Result<bool, MoneyError> {
        loop {
            if batch.rows() >= rows {
                return Ok(true);
            }
            if let Some(&(at, who)) = self.cohort.events.get(self.cohort.next) {
                self.cohort.next += 1;
                self.slot(batch, at, who)?;
                continue;
            }
            if !self.cohort.subscriptions.is_empty() || !self.cohort.tokens.is_empty() {
                if !self.cohort.sorted {
                    self.cohort.subscriptions.sort_unstable_by_key(|s| s.id);
                    self.cohort
                        .tokens
                        .sort_unstable_by(|a, b| a.token.cmp(&b.token));
                    self.cohort.sorted = true;
                }
                let room = rows.saturating_sub(batch.rows()).max(1);
                let subscriptions = room.min(self.cohort.subscriptions.len());
                batch
                    .subscriptions
                    .extend(self.cohort.subscriptions.drain(..subscriptions));
                let tokens = room
                    .saturating_sub(subscriptions)
                    .min(self.cohort.tokens.len());
                batch.tokens.extend(self.cohort.tokens.drain(..tokens));
                continue;
            }
            if self.begun < self.customers {
                self.begin_cohort();
                continue;
            }
            return Ok(false);
        }
    }

    /// Draws the next cohort's customers and the times of all their orders.
    fn begin_cohort(&mut self) {
        let size = COHORT.min(self.customers - self.begun);
        let now = self.world.now;
        let mut cohort = Cohort::default();
        for offset in 0..size {
            let mut rng = Rng::with_seed(mix(self.world.seed, self.begun + offset));
            let shop = rng.usize(0..self.world.shops.len());
            let who = u32::try_from(offset).unwrap_or(u32::MAX);
            for _ in 0..self.orders_per_customer {
                let at = now - Duration::seconds(rng.i64(60..HISTORY_DAYS * 86_400));
                cohort.events.push((at, who));
            }
            cohort.people.push(Person {
                rng,
                shop,
                id: 0,
                slots: self.orders_per_customer,
                skip: 0,
                card: 0,
                wallets: Vec::new(),
                subscriptions: Vec::new(),
            });
        }
        cohort.events.sort_unstable();
        self.begun += size;
        self.cohort = cohort;
    }

    /// One order slot of customer `who` at `at`: its first makes the customer; one an upsale
    /// took already is passed; the last settles its subscriptions and tokens.
    fn slot(&mut self, batch: &mut Batch, at: DateTime<Utc>, who: u32) -> Result<(), MoneyError> {
        let Some(person) = self.cohort.people.get_mut(who as usize) else {
            return Ok(());
        };
        let first = person.id == 0;
        person.slots -= 1;
        let mut step = Step {
            world: &self.world,
            ids: &mut self.ids,
            unseen: &mut self.unseen,
            batch,
            person,
        };
        if first {
            step.customer(at);
            self.written += 1;
        }
        if step.person.skip > 0 {
            step.person.skip -= 1;
        } else {
            step.order(at)?;
        }
        if step.person.slots == 0 {
            step.finish_subscriptions(&mut self.cohort.subscriptions);
            for wallet in std::mem::take(&mut step.person.wallets) {
                self.cohort.tokens.push(TokenRow {
                    token: wallet.token,
                    scenario: self.world.cards[wallet.card].scenario,
                    charges: i64::from(wallet.charges),
                    created_at: wallet.created_at,
                });
            }
        }
        Ok(())
    }
}

impl Step<'_> {
    /// Settles each subscription's status from what happened to it: a declined rebill leaves
    /// it recycling (soft; mostly failed once salvage has had three weeks) or failed (hard);
    /// otherwise some are cancelled or paused, and the rest are in trial or active, billing
    /// next in the future.
    fn finish_subscriptions(&mut self, into: &mut Vec<SubscriptionRow>) {
        let now = self.world.now;
        let rng = &mut self.person.rng;
        for mut sub in std::mem::take(&mut self.person.subscriptions) {
            let roll = rng.u32(0..100);
            let untouched = sub.last_change == sub.row.created_at;
            // Salvage of a soft-declined rebill runs for weeks; an old one has mostly ended.
            let salvage_over = now - sub.last_change > Duration::days(21);
            let natural = match sub.ended {
                Some(DeclineClass::Soft) if salvage_over && roll < 60 => {
                    SubscriptionStatus::RecycleFailed
                }
                Some(DeclineClass::Soft) => SubscriptionStatus::Recycling,
                Some(DeclineClass::Hard) => SubscriptionStatus::RecycleFailed,
                None if roll < 8 => SubscriptionStatus::Cancelled,
                None if roll < 14 => SubscriptionStatus::Paused,
                None if sub.trial && untouched && sub.next_bill > now => SubscriptionStatus::Trial,
                None => SubscriptionStatus::Active,
            };
            let unseen = &mut self.unseen.subscriptions;
            let status = match unseen
                .iter()
                .position(|s| *s != SubscriptionStatus::Trial || sub.trial)
            {
                Some(i) => unseen.remove(i),
                None => natural,
            };
            let since = sub.last_change;
            let changed =
                since + Duration::seconds(rng.i64(0..=(now - since).num_seconds().max(0)));
            let cycle = Duration::days(sub.row.cycle_days);
            let mut upcoming = sub.next_bill;
            while upcoming <= now {
                upcoming += cycle;
            }
            let r = &mut sub.row;
            r.status = status;
            r.updated_at = since;
            match status {
                SubscriptionStatus::Active => r.next_bill_at = Some(upcoming),
                SubscriptionStatus::Trial => {
                    r.next_bill_at = Some(sub.next_bill.max(now + Duration::days(1)));
                }
                SubscriptionStatus::Paused => {
                    r.paused_until = Some(now + Duration::days(rng.i64(7..60)));
                    r.updated_at = changed;
                }
                SubscriptionStatus::Cancelled => {
                    r.cancel_reason = pick(rng, super::words::CANCEL_REASONS);
                    r.updated_at = changed;
                }
                SubscriptionStatus::Recycling => {
                    r.next_bill_at = Some(now + Duration::days(rng.i64(1..8)));
                }
                SubscriptionStatus::RecycleFailed => {}
            }
            into.push(sub.row);
        }
    }
}
