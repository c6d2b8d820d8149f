//! The MID form as typed, and its conversion into a domain draft (every field error at once).

use crate::domain::FieldErrors;
use crate::domain::contact::{Email, Phone};
use crate::domain::ids::ProfileId;
use crate::domain::mid::{
    Accepts, CREDENTIAL_MAX, DESCRIPTOR_MAX, ExpiryDays, MidDraft, SettlementDelay,
    SimulatedLatency, TITLE_MAX,
};
use crate::domain::money::{Currency, Money};
use crate::domain::provider::Provider;

/// The typed MID form, every field as a string (checkboxes are present when ticked).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MidForm {
    pub title: String,
    pub provider: String,
    pub cs_phone: String,
    pub cs_email: String,
    pub descriptor: String,
    pub currency: String,
    pub monthly_cap: String,
    pub enabled: Option<String>,
    pub block_prepaid: Option<String>,
    pub block_debit: Option<String>,
    pub accept_echeck: Option<String>,
    pub accept_visa: Option<String>,
    pub accept_mastercard: Option<String>,
    pub accept_amex: Option<String>,
    pub accept_discover: Option<String>,
    pub expiry_days: String,
    pub cascade_all: Option<String>,
    pub cascade_profile_id: String,
    /// Test MIDs only (R-TG-3).
    pub settlement_delay_hours: String,
    pub latency_ms: String,
    /// Credential fields, named `cred_<key>`.
    #[serde(flatten)]
    pub extra: std::collections::BTreeMap<String, String>,
}

impl MidForm {
    pub fn credential(&self, key: &str) -> &str {
        self.extra
            .get(&format!("cred_{key}"))
            .map_or("", String::as_str)
    }
}

impl MidForm {
    /// Checks every field at once. `existing` is true when editing, where a blank credential
    /// keeps the stored one.
    pub fn draft(&self, existing: bool) -> Result<MidDraft, FieldErrors> {
        let form = self;
        let mut errors = FieldErrors::default();
        let title = form.title.trim();
        if title.is_empty() {
            errors.push("title", "Enter a MID title.");
        } else if title.chars().count() > TITLE_MAX {
            errors.push("title", format!("Use at most {TITLE_MAX} characters."));
        } else if title.chars().any(char::is_control) {
            errors.push("title", "Use letters, numbers and punctuation only.");
        }
        let provider = Provider::from_key(form.provider.trim());
        if provider.is_none() {
            errors.push("provider", "Pick a gateway.");
        }
        let mut credentials = Vec::new();
        for f in provider.map_or(&[][..], Provider::credential_fields) {
            let value = form.credential(f.key).trim();
            if value.is_empty() {
                if !existing {
                    errors.push(f.key, format!("Enter the {}.", f.label));
                }
            } else if value.chars().count() > CREDENTIAL_MAX {
                errors.push(f.key, format!("Use at most {CREDENTIAL_MAX} characters."));
            } else {
                credentials.push((f.key, value.to_owned()));
            }
        }
        let cs_phone = form.cs_phone.trim();
        if !cs_phone.is_empty()
            && let Err(e) = Phone::parse(cs_phone)
        {
            errors.push("cs_phone", e.to_string());
        }
        let cs_email = form.cs_email.trim();
        let cs_email = if cs_email.is_empty() {
            String::new()
        } else {
            errors
                .take("cs_email", Email::parse(cs_email).map(|e| e.to_string()))
                .unwrap_or_default()
        };
        let descriptor = form.descriptor.trim();
        if descriptor.chars().count() > DESCRIPTOR_MAX {
            errors.push(
                "descriptor",
                format!("Card networks show at most {DESCRIPTOR_MAX} characters."),
            );
        } else if !descriptor.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            errors.push(
                "descriptor",
                "Use plain letters, digits, spaces and punctuation.",
            );
        }
        let currency = match form.currency.trim() {
            "" => Currency::default(),
            code => Currency::from_code(code).unwrap_or_else(|| {
                errors.push("currency", "Pick a currency from the list.");
                Currency::default()
            }),
        };
        let monthly_cap = match form.monthly_cap.trim() {
            "" => None,
            raw => errors.take("monthly_cap", Money::parse_positive(raw, currency)),
        };
        let expiry_days = match provider {
            Some(p) if p.has_expiry_days() => {
                errors.take("expiry_days", ExpiryDays::parse(&form.expiry_days))
            }
            _ => None,
        };
        let (settlement_delay, latency) = match provider {
            Some(Provider::Test) => (
                errors.take(
                    "settlement_delay_hours",
                    SettlementDelay::parse(&form.settlement_delay_hours),
                ),
                errors.take("latency_ms", SimulatedLatency::parse(&form.latency_ms)),
            ),
            _ => (Some(SettlementDelay::DEFAULT), Some(SimulatedLatency::NONE)),
        };
        let cascade_profile_id = match form.cascade_profile_id.trim() {
            "" => None,
            raw => errors.take(
                "cascade_profile_id",
                raw.parse::<i64>()
                    .map(ProfileId)
                    .map_err(|_| "Pick a cascade profile from the list."),
            ),
        };
        let accepts = Accepts {
            echeck: form.accept_echeck.is_some(),
            visa: form.accept_visa.is_some(),
            mastercard: form.accept_mastercard.is_some(),
            amex: form.accept_amex.is_some(),
            discover: form.accept_discover.is_some(),
        };
        match (provider, settlement_delay, latency) {
            (Some(provider), Some(settlement_delay), Some(latency)) if errors.is_empty() => {
                Ok(MidDraft {
                    title: title.to_owned(),
                    provider,
                    credentials,
                    cs_phone: cs_phone.to_owned(),
                    cs_email,
                    descriptor: descriptor.to_owned(),
                    currency,
                    monthly_cap,
                    enabled: form.enabled.is_some(),
                    block_prepaid: form.block_prepaid.is_some(),
                    block_debit: form.block_debit.is_some(),
                    accepts,
                    expiry_days,
                    cascade_all: provider.offers_cascade_all() && form.cascade_all.is_some(),
                    cascade_profile_id,
                    settlement_delay,
                    latency,
                })
            }
            _ => Err(errors),
        }
    }
}
