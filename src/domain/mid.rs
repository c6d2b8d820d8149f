//! MIDs (SPEC 3, R-MID-1, R-GW-2, R-GW-4); the providers they run on are in `provider`.

use std::fmt;

use super::FieldErrors;
use super::contact::{Email, Phone};
use super::ids::{MidId, ProfileId};
use super::money::{Currency, Money};
use super::provider::Provider;

/// Something that uses a MID, so the MID cannot be deleted while it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MidUsage {
    RoutingProfile(String),
    RecycleProfile(String),
}

impl fmt::Display for MidUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MidUsage::RoutingProfile(name) => write!(f, "routing profile \u{201c}{name}\u{201d}"),
            MidUsage::RecycleProfile(name) => {
                write!(f, "recycle billing profile \u{201c}{name}\u{201d}")
            }
        }
    }
}

/// How long FlexFactor keeps retrying a recycle or rerun: a whole number of days, 1..=21 (R-GW-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryDays(u8);

impl ExpiryDays {
    pub const DEFAULT: ExpiryDays = ExpiryDays(21);
    pub const MAX: u8 = 21;

    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(Self::DEFAULT);
        }
        match raw.parse::<i64>() {
            Ok(n) if (1..=i64::from(Self::MAX)).contains(&n) => Ok(Self(n as u8)),
            Ok(_) => Err("expiryDays must be between 1 and 21."),
            Err(_) => Err("expiryDays must be a whole number of days, 1 to 21."),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// A stored value, if it is one this type allows.
    pub fn from_stored(n: i64) -> Option<Self> {
        u8::try_from(n)
            .ok()
            .filter(|n| (1..=Self::MAX).contains(n))
            .map(Self)
    }
}

/// Which payment types a MID accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Accepts {
    pub echeck: bool,
    pub visa: bool,
    pub mastercard: bool,
    pub amex: bool,
    pub discover: bool,
}

impl Accepts {
    pub fn labels(&self) -> Vec<&'static str> {
        [
            (self.visa, "Visa"),
            (self.mastercard, "MasterCard"),
            (self.amex, "Amex"),
            (self.discover, "Discover"),
            (self.echeck, "eCheck"),
        ]
        .into_iter()
        .filter_map(|(on, label)| on.then_some(label))
        .collect()
    }
}

/// A MID as pages show it: never its credentials, only their masks.
#[derive(Debug, Clone)]
pub struct Mid {
    pub id: MidId,
    pub title: String,
    pub provider: Provider,
    pub cs_phone: String,
    pub cs_email: String,
    pub descriptor: String,
    /// The currency the MID settles in; its monthly cap is in it.
    pub currency: Currency,
    pub monthly_cap: Option<Money>,
    pub enabled: bool,
    pub block_prepaid: bool,
    pub block_debit: bool,
    pub accepts: Accepts,
    pub expiry_days: Option<ExpiryDays>,
    pub cascade_all: bool,
    pub cascade_profile_id: Option<ProfileId>,
}

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

/// A valid MID ready to save. `credentials` holds only the fields typed this time: on edit, a
/// blank field keeps the stored value (R-MID-1).
#[derive(Debug)]
pub struct MidDraft {
    pub title: String,
    pub provider: Provider,
    pub credentials: Vec<(&'static str, String)>,
    pub cs_phone: String,
    pub cs_email: String,
    pub descriptor: String,
    /// The currency the MID settles in; its monthly cap is in it.
    pub currency: Currency,
    pub monthly_cap: Option<Money>,
    pub enabled: bool,
    pub block_prepaid: bool,
    pub block_debit: bool,
    pub accepts: Accepts,
    pub expiry_days: Option<ExpiryDays>,
    pub cascade_all: bool,
    pub cascade_profile_id: Option<ProfileId>,
}

pub const TITLE_MAX: usize = 100;
pub const DESCRIPTOR_MAX: usize = 25;
const CREDENTIAL_MAX: usize = 1000;

impl MidDraft {
    /// Checks every field at once. `existing` is true when editing, where a blank credential
    /// keeps the stored one.
    pub fn parse(form: &MidForm, existing: bool) -> Result<Self, FieldErrors> {
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
        match provider {
            Some(provider) if errors.is_empty() => Ok(MidDraft {
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
            }),
            _ => Err(errors),
        }
    }
}

/// A stored secret as a page may show it: the last 4 characters of longer values only.
pub fn mask(secret: &str) -> String {
    let chars: Vec<char> = secret.chars().collect();
    if chars.len() >= 12 {
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("••••{tail}")
    } else {
        "••••".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_days_accepts_whole_days_one_to_twenty_one() {
        assert_eq!(ExpiryDays::parse("").map(ExpiryDays::get), Ok(21));
        assert_eq!(ExpiryDays::parse("1").map(ExpiryDays::get), Ok(1));
        assert_eq!(ExpiryDays::parse("21").map(ExpiryDays::get), Ok(21));
        for bad in ["0", "22", "-1", "1.5", "ten"] {
            assert!(ExpiryDays::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn masks_show_at_most_four_characters() {
        assert_eq!(mask("sk_live_abcdefgh1234"), "••••1234");
        assert_eq!(mask("short"), "••••");
    }
}
