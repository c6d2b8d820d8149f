//! Demo data for `recoup serve --demo`, only on an empty database: one user per built-in role,
//! a few MIDs (test gateway and the salvage partners, with made-up credentials), a cascade
//! profile behind the main test MID and a FlexPay decline salvage profile; then a "Demo Store"
//! campaign on that MID with a one-off and a recurring product, an API key, about 200
//! generated customers with 90 days of orders, and a dozen orders placed through the sale
//! service itself, so their routing notes are real (an approval, a soft decline cascaded, a
//! hard decline, a card the MID refuses, an upsale).

use super::api_keys::CreatedKey;
use super::generate::GeneratePlan;
use super::users::{UserError, generate_password};
use super::{Services, Unexpected, random_token};
use crate::db;
use crate::domain::catalogue::{CampaignDraft, ProductDraft, ProductOption, SalesRoute, Trial};
use crate::domain::contact::Email;
use crate::domain::event::{Actor, SystemActor};
use crate::domain::ids::{CampaignId, ProductId};
use crate::domain::mid::{Accepts, ExpiryDays, MidDraft, SettlementDelay, SimulatedLatency};
use crate::domain::money::{Currency, MinorUnits, Money};
use crate::domain::order::{AddressDraft, CardDraft, CustomerDraft, ItemDraft, SaleDraft};
use crate::domain::permission::BuiltinRole;
use crate::domain::provider::Provider;
use crate::domain::recycle::RecycleDraft;
use crate::domain::routing::{ProfileDraft, ProfileKind};
use crate::domain::user::NewUser;

/// The demo's campaign, and the test MID (with the cascade profile) it sells on.
pub const DEMO_STORE: &str = "Demo Store";
const DEMO_MID: &str = "Main Store (test)";
/// Generated customers and orders per customer; the seed makes them the same every time.
const DEMO_CUSTOMERS: u64 = 200;
const DEMO_ORDERS_PER_CUSTOMER: u32 = 3;
const DEMO_SEED: u64 = 2024;

/// A login created for the demo, printed once.
pub struct DemoLogin {
    pub role: &'static str,
    pub email: String,
    pub password: String,
}

impl Services {
    /// Creates the demo users and answers their logins; answers nothing when any user exists.
    pub async fn seed_demo(&self) -> Result<Vec<DemoLogin>, UserError> {
        if db::users::count(&self.db).await? > 0 {
            return Ok(Vec::new());
        }
        let actor = SystemActor::Demo.actor();
        let mut logins = Vec::new();
        for role in BuiltinRole::all() {
            let email = format!("{}@demo.recoup.test", role.name().replace('_', "."));
            let password = generate_password()?;
            let name = demo_name(role);
            let new =
                NewUser::parse(&email, name, role.name(), &password).map_err(UserError::Invalid)?;
            self.users.create(&actor, new).await?;
            logins.push(DemoLogin {
                role: role.name(),
                email,
                password,
            });
        }
        self.seed_demo_gateways(&actor).await?;
        Ok(logins)
    }

    async fn seed_demo_gateways(&self, actor: &Actor) -> Result<(), UserError> {
        let demo = |e: String| UserError::Unexpected(Unexpected::Config(format!("demo data: {e}")));
        let mut ids = Vec::new();
        for (title, provider, phone) in [
            ("Main Store (test)", Provider::Test, "+1 555 010 1000"),
            ("Backup Store (test)", Provider::Test, "+1 555 010 2000"),
            ("FlexPay Recovery", Provider::FlexPay, ""),
            ("FlexFactor Cascade", Provider::FlexFactor, ""),
        ] {
            let mut credentials = Vec::new();
            for field in provider.credential_fields() {
                credentials.push((
                    field.key,
                    format!("demo-{}-{}", field.key, random_token(6)?),
                ));
            }
            let draft = MidDraft {
                title: title.to_owned(),
                provider,
                credentials,
                cs_phone: phone.to_owned(),
                cs_email: String::new(),
                descriptor: String::new(),
                currency: Currency::Usd,
                monthly_cap: None,
                enabled: true,
                block_prepaid: false,
                block_debit: false,
                accepts: Accepts {
                    echeck: false,
                    visa: true,
                    mastercard: true,
                    amex: false,
                    discover: false,
                },
                expiry_days: provider.has_expiry_days().then_some(ExpiryDays::DEFAULT),
                cascade_all: false,
                cascade_profile_id: None,
                settlement_delay: SettlementDelay::DEFAULT,
                latency: SimulatedLatency::NONE,
            };
            ids.push(
                self.mids
                    .create(actor, &draft)
                    .await
                    .map_err(|e| demo(e.to_string()))?,
            );
        }
        let draft = ProfileDraft {
            name: "Soft-decline cascade".to_owned(),
            kind: ProfileKind::Cascade,
            members: vec![(ids[1], 1, 1), (ids[3], 1, 2)],
        };
        let cascade = self
            .routing
            .create(actor, &draft)
            .await
            .map_err(|e| demo(e.to_string()))?;
        // The main store's soft declines cascade down that profile (R-EN-1).
        let main = self
            .mids
            .find(ids[0])
            .await
            .map_err(|e| demo(e.to_string()))?;
        let draft = MidDraft {
            title: main.title,
            provider: main.provider,
            credentials: Vec::new(),
            cs_phone: main.cs_phone,
            cs_email: main.cs_email,
            descriptor: main.descriptor,
            currency: main.currency,
            monthly_cap: main.monthly_cap,
            enabled: main.enabled,
            block_prepaid: main.block_prepaid,
            block_debit: main.block_debit,
            accepts: main.accepts,
            expiry_days: main.expiry_days,
            cascade_all: main.cascade_all,
            cascade_profile_id: Some(cascade),
            settlement_delay: SettlementDelay::DEFAULT,
            latency: SimulatedLatency::NONE,
        };
        self.mids
            .update(actor, ids[0], &draft)
            .await
            .map_err(|e| demo(e.to_string()))?;
        let mut recycle = RecycleDraft {
            name: "FlexPay recovery".to_owned(),
            apply_to: vec![ids[0], ids[1]],
            ..RecycleDraft::blank()
        };
        recycle.apply_flexpay_setup(ids[2]);
        self.recycle
            .create(actor, &recycle)
            .await
            .map_err(|e| demo(e.to_string()))?;
        Ok(())
    }
}

/// What `serve --demo` created: the logins and the API key, shown once.
pub struct Demo {
    pub logins: Vec<DemoLogin>,
    pub store: Option<DemoStore>,
}

/// The demo's store: its campaign and API key, and how much history it was given.
pub struct DemoStore {
    pub campaign: CampaignId,
    pub api_key: CreatedKey,
    pub customers: u64,
    pub orders: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Users(#[from] UserError),
    #[error("demo data: {step}: {message}")]
    Step { step: &'static str, message: String },
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

impl From<db::DbError> for DemoError {
    fn from(e: db::DbError) -> Self {
        DemoError::Unexpected(e.into())
    }
}

/// Names a failed demo step.
fn step(step: &'static str) -> impl Fn(&dyn std::fmt::Display) -> DemoError {
    move |e| DemoError::Step {
        step,
        message: e.to_string(),
    }
}

fn usd(minor: i64) -> Money {
    Money::new(MinorUnits::from_minor(minor), Currency::Usd)
}

impl Services {
    /// The whole demo on an empty database: users and gateways ([`Services::seed_demo`]),
    /// then the Demo Store ([`Services::seed_demo_store`]). Adds nothing when any user exists.
    pub async fn load_demo(&self) -> Result<Demo, DemoError> {
        let logins = self.seed_demo().await?;
        let store = if logins.is_empty() {
            None
        } else {
            self.seed_demo_store().await?
        };
        Ok(Demo { logins, store })
    }

    /// The Demo Store on the demo's main test MID: its products, an API key, generated
    /// customers with 90 days of history, and a dozen orders placed through the sale service.
    /// Adds nothing when a campaign of that name exists or the demo MID does not.
    pub async fn seed_demo_store(&self) -> Result<Option<DemoStore>, DemoError> {
        if db::catalogue::campaign_name_holder(&self.db, DEMO_STORE, None)
            .await?
            .is_some()
        {
            return Ok(None);
        }
        let Some(mid) = self
            .mids
            .all()
            .await?
            .into_iter()
            .find(|m| m.title == DEMO_MID)
        else {
            return Ok(None);
        };
        let actor = SystemActor::Demo.actor();
        let (kit, refill) = self.demo_products(&actor).await?;
        let draft = CampaignDraft {
            name: DEMO_STORE.to_owned(),
            currency: Currency::Usd,
            route: Some(SalesRoute::Mid(mid.id)),
            products: vec![kit, refill],
            recycling: true,
            notify: Email::parse("orders@demo.recoup.test")
                .into_iter()
                .collect(),
            welcome_subject: "Welcome to Demo Store, {first_name}".to_owned(),
            welcome_body: "Thank you for order {order_id}: {product}, {total} in all.".to_owned(),
        };
        let campaign = self
            .catalogue
            .create_campaign(&actor, &draft)
            .await
            .map_err(|e| step("campaign")(&e))?;
        let api_key = self
            .api_keys
            .create(&actor, "Demo checkout")
            .await
            .map_err(|e| step("API key")(&e))?;
        let plan = GeneratePlan {
            customers: DEMO_CUSTOMERS,
            orders_per_customer: DEMO_ORDERS_PER_CUSTOMER,
            seed: DEMO_SEED,
            campaigns: Some(vec![campaign]),
        };
        let generated = self
            .generate(&actor, &plan, |_| {})
            .await
            .map_err(|e| step("customers")(&e))?;
        let placed = self.demo_orders(&actor, campaign, kit, refill).await?;
        Ok(Some(DemoStore {
            campaign,
            api_key,
            customers: generated.count("customers") + placed.0,
            orders: generated.count("orders") + placed.1,
        }))
    }

    /// A one-off starter kit (shippable, in two sizes) and a monthly refill with a 14-day
    /// trial.
    async fn demo_products(&self, actor: &Actor) -> Result<(ProductId, ProductId), DemoError> {
        let kit = ProductDraft {
            name: "Starter Kit".to_owned(),
            sku: "DEMO-KIT".to_owned(),
            price: usd(2499),
            trial: None,
            cycle_days: None,
            options: vec![
                ProductOption {
                    name: "Regular".to_owned(),
                    price: None,
                },
                ProductOption {
                    name: "Family size".to_owned(),
                    price: Some(usd(3999)),
                },
            ],
            shippable: true,
        };
        let refill = ProductDraft {
            name: "Monthly Refill".to_owned(),
            sku: "DEMO-REFILL-30".to_owned(),
            price: usd(3999),
            trial: Some(Trial {
                days: 14,
                price: usd(499),
            }),
            cycle_days: Some(30),
            options: Vec::new(),
            shippable: true,
        };
        let mut ids = Vec::new();
        for draft in [kit, refill] {
            ids.push(
                self.catalogue
                    .create_product(actor, &draft)
                    .await
                    .map_err(|e| step("products")(&e))?,
            );
        }
        Ok((ids[0], ids[1]))
    }

    /// Orders placed now through the sale service, each showing routing of its own. Answers
    /// how many customers and orders they made.
    async fn demo_orders(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        kit: ProductId,
        refill: ProductId,
    ) -> Result<(u64, u64), DemoError> {
        let sales: [(&str, &str, &str, &[ProductId], bool); 12] = [
            ("Grace", "Hopper", "4111111111111111", &[kit], true),
            ("Alan", "Turing", "5555555555554444", &[refill], true),
            ("Ada", "Lovelace", "4000056655665556", &[kit, refill], true),
            ("Edsger", "Dijkstra", "5105105105105100", &[refill], true),
            // 05 do not honor, soft: cascaded to the backup MID, then FlexFactor.
            ("Barbara", "Liskov", "4000000000000002", &[kit], true),
            // The same without an ip address: FlexFactor is skipped (R-GW-5).
            ("Donald", "Knuth", "4000000000000002", &[refill], false),
            // 43 stolen card, hard: never retried.
            ("Margaret", "Hamilton", "4000000000009979", &[kit], true),
            // 51 above 20.00: cascaded; the 4.99 trial of the refill goes through.
            ("Ken", "Thompson", "4000000000009995", &[kit], true),
            ("Frances", "Allen", "4000000000009995", &[refill], true),
            // The main MID does not take Amex: passed over, nothing charged.
            ("John", "Backus", "378282246310005", &[kit], true),
            ("Radia", "Perlman", "4000000000000069", &[kit], true),
            (
                "Leslie",
                "Lamport",
                "4000000000007726",
                &[kit, refill],
                true,
            ),
        ];
        let mut first = None;
        for (i, (first_name, last_name, card, items, with_ip)) in sales.into_iter().enumerate() {
            let draft = SaleDraft {
                campaign_id: campaign.0,
                customer: CustomerDraft {
                    first_name: first_name.to_owned(),
                    last_name: last_name.to_owned(),
                    email: format!(
                        "{}.{}@example.com",
                        first_name.to_lowercase(),
                        last_name.to_lowercase()
                    ),
                    phone: format!("+1 (415) 555-01{:02}", 40 + i),
                    address: Some(AddressDraft {
                        line1: format!("{} Market St", 100 + 25 * i),
                        line2: String::new(),
                        city: "San Francisco".to_owned(),
                        state: "CA".to_owned(),
                        postal_code: "94103".to_owned(),
                        country: "US".to_owned(),
                    }),
                },
                card: CardDraft {
                    number: card.to_owned(),
                    exp_month: "12".to_owned(),
                    exp_year: "2031".to_owned(),
                    cvv: if card.len() == 15 { "1234" } else { "123" }.to_owned(),
                },
                card_on_file: None,
                items: items
                    .iter()
                    .map(|p| ItemDraft {
                        product_id: p.0,
                        quantity: 1,
                        option: None,
                    })
                    .collect(),
                ip_address: with_ip.then(|| format!("203.0.113.{}", 10 + i)),
            };
            let id = self
                .orders
                .place(actor, &draft, None)
                .await
                .map_err(|e| step("orders")(&e))?;
            first.get_or_insert(id);
        }
        // An upsale on the first order: charged on its card and MID, never cascaded.
        if let Some(parent) = first {
            let items = [ItemDraft {
                product_id: kit.0,
                quantity: 1,
                option: Some("Family size".to_owned()),
            }];
            self.orders
                .upsale(actor, parent, &items, None)
                .await
                .map_err(|e| step("upsale")(&e))?;
        }
        Ok((12, 13))
    }
}

fn demo_name(role: BuiltinRole) -> &'static str {
    match role {
        BuiltinRole::Admin => "Avery Admin",
        BuiltinRole::Merchant => "Morgan Merchant",
        BuiltinRole::CsAdmin => "Casey Support Lead",
        BuiltinRole::CsAgent => "Sam Support",
    }
}
