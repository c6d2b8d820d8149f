//! `recoup generate` and the demo's customers: realistic customers, cards, orders,
//! transactions, subscriptions and fulfillments in bulk, the same rows for the same seed on an
//! empty database. The rows are made by a deterministic model ([`model`]) on a thread of their
//! own while the previous batch is written (`db::bulk`, many rows per statement, one
//! transaction per batch), so making and writing overlap.
//!
//! Generated history is written straight to the tables: no gateway is called and nothing is
//! written to the event log, except the catalogue the generator may create first (a "Generated
//! Store" campaign, its products and test MID), which goes through the catalogue and MID
//! services like any other change. Run it on a database nothing else is writing orders to: ids
//! are taken after the largest ones present when it starts.

mod charges;
mod model;
mod orders;
mod people;
mod words;
mod world;

use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::ExposeSecret;

use super::{Services, Unexpected, service_error};
use crate::db;
use crate::db::DbError;
use crate::db::bulk::{Batch, LastIds, Loader, TABLES};
use crate::domain::FieldErrors;
use crate::domain::catalogue::{CampaignDraft, ProductDraft, ProductOption, SalesRoute, Trial};
use crate::domain::event::Actor;
use crate::domain::ids::{CampaignId, MidId};
use crate::domain::mid::{Accepts, MidDraft, SettlementDelay, SimulatedLatency};
use crate::domain::money::{Currency, MinorUnits, Money, MoneyError};
use crate::domain::provider::Provider;
use model::Generator;
use world::{Facts, World};

/// At most this many customers, and orders per customer, in one run.
pub const MAX_CUSTOMERS: u64 = 10_000_000;
pub const MAX_ORDERS_PER_CUSTOMER: u32 = 1_000;
/// About this many rows are written per transaction: well under a second of holding SQLite's
/// write lock, so the portal can keep writing while a load runs, and big enough that each
/// index page is written once per batch rather than once per few rows.
const ROWS_PER_BATCH: usize = 100_000;
/// The campaign created when no campaign can take generated sales.
pub const GENERATED_STORE: &str = "Generated Store";
const GENERATED_MID: &str = "Generated MID (test)";

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratePlan {
    pub customers: u64,
    pub orders_per_customer: u32,
    pub seed: u64,
    /// Only these campaigns; `None`: every campaign that can take sales (and a Generated Store
    /// when there is none).
    pub campaigns: Option<Vec<CampaignId>>,
}

/// How far a run has come, reported after each batch.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub customers: u64,
    pub orders: u64,
    /// Orders the run makes in all.
    pub of: u64,
    pub rows: u64,
    pub elapsed: Duration,
}

impl Progress {
    pub fn rows_per_second(&self) -> f64 {
        per_second(self.rows, self.elapsed)
    }
}

/// A rate to print: row counts are far below 2^52, so the float is exact.
fn per_second(rows: u64, elapsed: Duration) -> f64 {
    rows as f64 / elapsed.as_secs_f64().max(1e-9)
}

/// What a run wrote.
#[derive(Debug, Clone)]
pub struct GenerateReport {
    /// Rows written per table.
    pub tables: Vec<(&'static str, u64)>,
    pub elapsed: Duration,
    /// The campaigns the orders went to.
    pub campaigns: Vec<CampaignId>,
    /// Whether the Generated Store was created for this run.
    pub created_store: bool,
}

impl GenerateReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }

    pub fn rows_per_second(&self) -> f64 {
        per_second(self.rows(), self.elapsed)
    }

    /// Rows written to `table`.
    pub fn count(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|(t, _)| *t == table)
            .map_or(0, |(_, n)| *n)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("{0}")]
    Invalid(FieldErrors),
    /// No campaign on sale routes to an enabled test MID with a product on sale.
    #[error(
        "No campaign can take generated sales: each needs a product on sale and an enabled test MID that accepts a test card."
    )]
    NoCampaign,
    /// The Generated Store could not be created (a name or SKU already taken, ...).
    #[error("Could not create the {GENERATED_STORE}: {0}")]
    Setup(String),
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(GenerateError {
    Invalid(_) => Invalid, "invalid",
    NoCampaign => Conflict, "no_campaign",
    Setup(_) => Conflict, "setup_failed",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for GenerateError {
    fn from(e: DbError) -> Self {
        GenerateError::Unexpected(e.into())
    }
}

impl From<MoneyError> for GenerateError {
    fn from(e: MoneyError) -> Self {
        GenerateError::Setup(format!("a product's price does not fit: {e}"))
    }
}

impl GeneratePlan {
    fn check(&self) -> Result<(), GenerateError> {
        let mut errors = FieldErrors::default();
        if !(1..=MAX_CUSTOMERS).contains(&self.customers) {
            errors.push(
                "customers",
                format!("Generate 1 to {MAX_CUSTOMERS} customers."),
            );
        }
        if !(1..=MAX_ORDERS_PER_CUSTOMER).contains(&self.orders_per_customer) {
            errors.push(
                "orders-per-customer",
                format!("Generate 1 to {MAX_ORDERS_PER_CUSTOMER} orders per customer."),
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(GenerateError::Invalid(errors))
        }
    }
}

impl Services {
    /// Generates `plan.customers` customers with `plan.orders_per_customer` orders each, calling
    /// `progress` after each batch is written. `actor` is who the Generated Store is created by,
    /// when it must be.
    pub async fn generate(
        &self,
        actor: &Actor,
        plan: &GeneratePlan,
        mut progress: impl FnMut(&Progress),
    ) -> Result<GenerateReport, GenerateError> {
        plan.check()?;
        let started = Instant::now();
        let (world, created_store) = self.generation_world(actor, plan).await?;
        let campaigns = world.shops.iter().map(|s| s.campaign).collect();
        let mut loader = Loader::open(&self.db).await?;
        let result = self
            .load(&mut loader, world, plan, started, &mut progress)
            .await;
        let closed = loader.close().await;
        let tables = result?;
        closed?;
        Ok(GenerateReport {
            tables,
            elapsed: started.elapsed(),
            campaigns,
            created_store,
        })
    }

    /// Makes batches on a thread of their own and writes each as it comes.
    async fn load(
        &self,
        loader: &mut Loader,
        world: World,
        plan: &GeneratePlan,
        started: Instant,
        progress: &mut impl FnMut(&Progress),
    ) -> Result<Vec<(&'static str, u64)>, GenerateError> {
        let after = loader.last_ids().await?;
        let (sender, mut batches) =
            tokio::sync::mpsc::channel::<Result<(Batch, LastIds, [u64; 2]), MoneyError>>(2);
        let total = plan.customers;
        let rows = ROWS_PER_BATCH;
        let orders = plan.orders_per_customer;
        let world = Arc::new(world);
        let maker = tokio::task::spawn_blocking(move || {
            let mut generator = Generator::new(world, total, orders, after);
            loop {
                let mut batch = Batch::default();
                let made = generator.fill(&mut batch, rows);
                let more = made.as_ref().is_ok_and(|more| *more);
                let message = made.map(|_| {
                    let done = [generator.customers_written(), generator.orders_written()];
                    (batch, *generator.last_ids(), done)
                });
                // Stop when done, when making failed, or when the writer stopped (it failed).
                if sender.blocking_send(message).is_err() || !more {
                    return;
                }
            }
        });
        let mut counts = [0u64; TABLES.len()];
        let mut written: Result<(), GenerateError> = Ok(());
        while let Some(message) = batches.recv().await {
            let (batch, last, [customers, orders]) = match message {
                Ok(made) => made,
                Err(e) => {
                    written = Err(e.into());
                    break;
                }
            };
            if let Err(e) = loader.write(&batch, &last).await {
                written = Err(e.into());
                break;
            }
            for (count, n) in counts.iter_mut().zip(batch.counts()) {
                *count += n as u64;
            }
            progress(&Progress {
                customers,
                orders,
                of: total * u64::from(plan.orders_per_customer),
                rows: counts.iter().sum(),
                elapsed: started.elapsed(),
            });
        }
        drop(batches);
        maker
            .await
            .map_err(|e| Unexpected::Config(format!("the generator thread failed: {e}")))?;
        written?;
        Ok(TABLES.iter().copied().zip(counts).collect())
    }

    /// The world the plan's orders are made in; creates the Generated Store first when no
    /// campaign can take generated sales (and the plan names none).
    async fn generation_world(
        &self,
        actor: &Actor,
        plan: &GeneratePlan,
    ) -> Result<(World, bool), GenerateError> {
        let world = self.read_world(plan).await?;
        if !world.shops.is_empty() {
            return Ok((world, false));
        }
        if plan.campaigns.is_some() {
            return Err(GenerateError::NoCampaign);
        }
        self.create_generated_store(actor).await?;
        let world = self.read_world(plan).await?;
        if world.shops.is_empty() {
            return Err(GenerateError::NoCampaign);
        }
        Ok((world, true))
    }

    async fn read_world(&self, plan: &GeneratePlan) -> Result<World, GenerateError> {
        let mut offered = self.catalogue.offered().await?;
        if let Some(only) = &plan.campaigns {
            offered.retain(|(c, _)| only.contains(&c.id));
        }
        let mids = db::mids::all(&self.db).await?;
        let profiles = db::profiles::all(&self.db).await?;
        Ok(World::new(Facts {
            now: self.orders.now(),
            seed: plan.seed,
            mids,
            profiles: &profiles,
            offered,
            fingerprint_key: self.fingerprint_key.expose_secret(),
        }))
    }

    /// A test MID accepting every card brand, four products (one-off and recurring, with and
    /// without a trial, shippable or not) and the campaign selling them, through the services.
    async fn create_generated_store(&self, actor: &Actor) -> Result<(), GenerateError> {
        let setup = |e: &dyn std::fmt::Display| GenerateError::Setup(e.to_string());
        let existing = self
            .mids
            .all()
            .await?
            .into_iter()
            .find(|m| m.title == GENERATED_MID);
        let mid: MidId = match existing {
            Some(mid) => mid.id,
            None => self
                .mids
                .create(actor, &generated_mid())
                .await
                .map_err(|e| setup(&e))?,
        };
        let mut products = Vec::new();
        for draft in generated_products() {
            products.push(
                self.catalogue
                    .create_product(actor, &draft)
                    .await
                    .map_err(|e| setup(&e))?,
            );
        }
        let campaign = CampaignDraft {
            name: GENERATED_STORE.to_owned(),
            currency: Currency::Usd,
            route: Some(SalesRoute::Mid(mid)),
            products,
            recycling: true,
            notify: Vec::new(),
            welcome_subject: "Welcome to Generated Store, {first_name}".to_owned(),
            welcome_body: "Thank you for order {order_id}: {product}, {total} in all.".to_owned(),
        };
        self.catalogue
            .create_campaign(actor, &campaign)
            .await
            .map_err(|e| setup(&e))?;
        Ok(())
    }
}

fn usd(minor: i64) -> Money {
    Money::new(MinorUnits::from_minor(minor), Currency::Usd)
}

fn generated_mid() -> MidDraft {
    MidDraft {
        title: GENERATED_MID.to_owned(),
        provider: Provider::Test,
        credentials: Vec::new(),
        cs_phone: "+1 (512) 555-0100".to_owned(),
        cs_email: String::new(),
        descriptor: "GENSTORE".to_owned(),
        currency: Currency::Usd,
        monthly_cap: None,
        enabled: true,
        block_prepaid: false,
        block_debit: false,
        accepts: Accepts {
            echeck: false,
            visa: true,
            mastercard: true,
            amex: true,
            discover: true,
        },
        expiry_days: None,
        cascade_all: false,
        cascade_profile_id: None,
        settlement_delay: SettlementDelay::DEFAULT,
        latency: SimulatedLatency::NONE,
    }
}

fn generated_products() -> [ProductDraft; 4] {
    let product = |name: &str, sku: &str, price| ProductDraft {
        name: name.to_owned(),
        sku: sku.to_owned(),
        price: usd(price),
        trial: None,
        cycle_days: None,
        options: Vec::new(),
        shippable: false,
    };
    [
        ProductDraft {
            options: vec![
                ProductOption {
                    name: "Small".to_owned(),
                    price: None,
                },
                ProductOption {
                    name: "Large".to_owned(),
                    price: Some(usd(3499)),
                },
            ],
            shippable: true,
            ..product("Starter Kit", "GEN-STARTER", 2499)
        },
        ProductDraft {
            trial: Some(Trial {
                days: 14,
                price: usd(499),
            }),
            cycle_days: Some(30),
            shippable: true,
            ..product("Monthly Box", "GEN-BOX-30", 3999)
        },
        ProductDraft {
            cycle_days: Some(30),
            shippable: true,
            ..product("Daily Vitamins", "GEN-VIT-30", 1999)
        },
        product("Extended Warranty", "GEN-CARE", 1499),
    ]
}
