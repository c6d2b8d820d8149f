//! MIDs (SPEC 3, R-MID-1, R-GW-2, R-GW-4); the providers they run on are in `provider`.

use std::fmt;

use super::ids::{MidId, ProfileId};
use super::money::{Currency, Money};
use super::provider::Provider;

/// Something that uses a MID, so the MID cannot be deleted while it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MidUsage {
    RoutingProfile(String),
    RecycleProfile(String),
    /// A campaign sends its new sales to it.
    Campaign(String),
    /// It has taken payments, which keep their MID for refunds, voids and the records.
    Payments,
}

impl fmt::Display for MidUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MidUsage::RoutingProfile(name) => write!(f, "routing profile \u{201c}{name}\u{201d}"),
            MidUsage::RecycleProfile(name) => {
                write!(f, "recycle billing profile \u{201c}{name}\u{201d}")
            }
            MidUsage::Campaign(name) => write!(f, "campaign \u{201c}{name}\u{201d}"),
            MidUsage::Payments => f.write_str("its payments (disable it instead)"),
        }
    }
}

/// The MID list's filters and sort.
#[derive(Debug, Clone, Default)]
pub struct MidQuery {
    pub provider: Option<Provider>,
    pub enabled: Option<bool>,
    pub search: String,
    pub sort: MidSort,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MidSort {
    #[default]
    Title,
    Provider,
    Enabled,
    Cap,
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

/// How long after an approved sale a test MID settles it: whole hours, 0..=720, 0 meaning at
/// once (R-TG-3). Until then the sale can be voided; after it, only refunded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettlementDelay(u16);

impl SettlementDelay {
    pub const DEFAULT: SettlementDelay = SettlementDelay(24);
    pub const MAX: u16 = 720;

    /// A blank field is the default, 24 hours.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match whole_number(raw) {
            None => Ok(Self::DEFAULT),
            Some(Ok(n)) if (0..=i64::from(Self::MAX)).contains(&n) => Ok(Self(n as u16)),
            Some(Ok(_)) => Err("The settlement delay must be between 0 and 720 hours (30 days)."),
            Some(Err(())) => {
                Err("Enter the settlement delay as a whole number of hours, 0 to 720.")
            }
        }
    }

    pub fn hours(self) -> u16 {
        self.0
    }

    pub fn duration(self) -> chrono::Duration {
        chrono::Duration::hours(i64::from(self.0))
    }

    /// A stored value, if it is one this type allows.
    pub fn from_stored(n: i64) -> Option<Self> {
        u16::try_from(n).ok().filter(|n| *n <= Self::MAX).map(Self)
    }
}

/// How long a test MID waits before it answers, to simulate a slow gateway for benchmarks:
/// whole milliseconds, 0..=10000.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimulatedLatency(u16);

impl SimulatedLatency {
    pub const NONE: SimulatedLatency = SimulatedLatency(0);
    pub const MAX: u16 = 10_000;

    /// A blank field is no latency.
    pub fn parse(raw: &str) -> Result<Self, &'static str> {
        match whole_number(raw) {
            None => Ok(Self::NONE),
            Some(Ok(n)) if (0..=i64::from(Self::MAX)).contains(&n) => Ok(Self(n as u16)),
            Some(Ok(_)) => {
                Err("The simulated latency must be between 0 and 10000 ms (10 seconds).")
            }
            Some(Err(())) => {
                Err("Enter the simulated latency as a whole number of milliseconds, 0 to 10000.")
            }
        }
    }

    pub fn millis(self) -> u16 {
        self.0
    }

    pub fn duration(self) -> std::time::Duration {
        std::time::Duration::from_millis(u64::from(self.0))
    }

    /// A stored value, if it is one this type allows.
    pub fn from_stored(n: i64) -> Option<Self> {
        u16::try_from(n).ok().filter(|n| *n <= Self::MAX).map(Self)
    }
}

/// A field read as a whole number: `None` when blank, `Err` when it is not a whole number.
fn whole_number(raw: &str) -> Option<Result<i64, ()>> {
    let raw = raw.trim();
    (!raw.is_empty()).then(|| raw.parse::<i64>().map_err(drop))
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
    /// A test MID settles an approved sale this long after it (R-TG-3); 24 hours by default.
    pub settlement_delay: chrono::Duration,
    /// A test MID waits this long before it answers; nothing by default.
    pub latency: std::time::Duration,
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
    /// Test MIDs only; other providers keep the defaults.
    pub settlement_delay: SettlementDelay,
    pub latency: SimulatedLatency,
}

pub const TITLE_MAX: usize = 100;
pub const DESCRIPTOR_MAX: usize = 25;
pub const CREDENTIAL_MAX: usize = 1000;

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
    fn r_tg_3_settlement_delay_is_whole_hours_up_to_thirty_days() {
        assert_eq!(
            SettlementDelay::parse("").map(SettlementDelay::hours),
            Ok(24)
        );
        assert_eq!(
            SettlementDelay::parse("0").map(SettlementDelay::hours),
            Ok(0)
        );
        assert_eq!(
            SettlementDelay::parse(" 720 ").map(SettlementDelay::hours),
            Ok(720)
        );
        for bad in ["-1", "721", "1.5", "soon", "1e2", "99999999999999999999"] {
            assert!(SettlementDelay::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            SettlementDelay::DEFAULT.duration(),
            chrono::Duration::hours(24)
        );
        assert_eq!(SettlementDelay::from_stored(721), None);
        assert_eq!(SettlementDelay::from_stored(-1), None);
    }

    #[test]
    fn simulated_latency_is_whole_milliseconds_up_to_ten_seconds() {
        assert_eq!(
            SimulatedLatency::parse("").map(SimulatedLatency::millis),
            Ok(0)
        );
        assert_eq!(
            SimulatedLatency::parse("10000").map(SimulatedLatency::duration),
            Ok(std::time::Duration::from_secs(10))
        );
        for bad in ["-1", "10001", "1.5", "fast"] {
            assert!(SimulatedLatency::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(SimulatedLatency::from_stored(10_001), None);
    }

    #[test]
    fn masks_show_at_most_four_characters() {
        assert_eq!(mask("sk_live_abcdefgh1234"), "••••1234");
        assert_eq!(mask("short"), "••••");
    }
}
