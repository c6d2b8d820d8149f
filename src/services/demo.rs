//! Demo data for `recoup serve --demo`, only on an empty database: one user per built-in role,
//! a few MIDs (test gateway and the salvage partners, with made-up credentials), a cascade
//! profile and a FlexPay decline salvage profile.

use super::users::{UserError, generate_password};
use super::{Services, Unexpected, random_token};
use crate::db;
use crate::domain::event::{Actor, SystemActor};
use crate::domain::mid::{Accepts, ExpiryDays, MidDraft, SettlementDelay, SimulatedLatency};
use crate::domain::money::Currency;
use crate::domain::permission::BuiltinRole;
use crate::domain::provider::Provider;
use crate::domain::recycle::RecycleDraft;
use crate::domain::routing::{ProfileDraft, ProfileKind};
use crate::domain::user::NewUser;

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
        self.routing
            .create(actor, &draft)
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

fn demo_name(role: BuiltinRole) -> &'static str {
    match role {
        BuiltinRole::Admin => "Avery Admin",
        BuiltinRole::Merchant => "Morgan Merchant",
        BuiltinRole::CsAdmin => "Casey Support Lead",
        BuiltinRole::CsAgent => "Sam Support",
    }
}
