//! Payment cards as the portal sees them (SPEC 3, R-TG-2): a number is parsed and checked here,
//! handed to a gateway, and never kept. What is kept is its brand and type (from the BIN), first
//! 6, last 4, expiry and a keyed fingerprint that recognises the same card again.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("Enter the card number.")]
    Missing,
    #[error("A card number has 12 to 19 digits.")]
    Length,
    #[error("Use digits only (spaces and dashes are fine).")]
    NotDigits,
    #[error("This card number is not valid; check it for a typo.")]
    Luhn,
    #[error("Enter the expiry month as 1 to 12.")]
    Month,
    #[error("Enter the expiry year as four digits, like 2029.")]
    Year,
    #[error("This card has expired.")]
    Expired,
}

/// A card number that passed the Luhn check. It is held only while a payment is made: it has no
/// `Display`, its `Debug` shows the last 4 only, and it cannot be serialised.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber(String);

impl CardNumber {
    /// Reads a number as typed: spaces and dashes are ignored.
    pub fn parse(raw: &str) -> Result<Self, CardError> {
        let digits: String = raw.chars().filter(|c| *c != ' ' && *c != '-').collect();
        if digits.is_empty() {
            return Err(CardError::Missing);
        }
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(CardError::NotDigits);
        }
        if !(12..=19).contains(&digits.len()) {
            return Err(CardError::Length);
        }
        if !luhn(&digits) {
            return Err(CardError::Luhn);
        }
        Ok(Self(digits))
    }

    /// The digits, for the gateway call and nothing else.
    pub fn digits(&self) -> &str {
        &self.0
    }

    pub fn first6(&self) -> &str {
        &self.0[..6]
    }

    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// Brand and type from the BIN table.
    pub fn bin(&self) -> Bin {
        Bin::of(&self.0)
    }

    /// HMAC-SHA256 of the number under `key` (from configuration): the same card gives the same
    /// fingerprint, and the fingerprint gives nothing back without the key.
    pub fn fingerprint(&self, key: &[u8]) -> Fingerprint {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
            .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
        mac.update(self.0.as_bytes());
        Fingerprint(hex::encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CardNumber(…{})", self.last4())
    }
}

/// The Luhn (mod 10) check digit test.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .map(|b| u32::from(b - b'0'))
        .enumerate()
        .map(|(i, d)| match (i % 2, d * 2) {
            (0, _) => d,
            (_, doubled) if doubled > 9 => doubled - 9,
            (_, doubled) => doubled,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// A card's fingerprint: hex of an HMAC-SHA256, stored to recognise a card (R-OR-4 blacklist).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A stored fingerprint, if it has the shape of one.
    pub fn from_stored(value: &str) -> Option<Self> {
        (value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(value.to_ascii_lowercase()))
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum Brand {
    #[strum(serialize = "visa")]
    Visa,
    #[strum(serialize = "mastercard")]
    Mastercard,
    #[strum(serialize = "amex")]
    Amex,
    #[strum(serialize = "discover")]
    Discover,
    /// A valid number of a network the portal does not know.
    #[strum(serialize = "other")]
    Other,
}

impl Brand {
    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }

    pub fn label(self) -> &'static str {
        match self {
            Brand::Visa => "Visa",
            Brand::Mastercard => "Mastercard",
            Brand::Amex => "Amex",
            Brand::Discover => "Discover",
            Brand::Other => "Other card",
        }
    }

    /// The network of a number by its leading digits (IIN ranges).
    fn of(digits: &str) -> Brand {
        let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
        match (prefix(1), prefix(2), prefix(3), prefix(4)) {
            (Some(4), ..) => Brand::Visa,
            (_, Some(51..=55), ..) | (.., Some(2221..=2720)) => Brand::Mastercard,
            (_, Some(34 | 37), ..) => Brand::Amex,
            (.., Some(6011)) | (_, Some(65), ..) | (_, _, Some(644..=649), _) => Brand::Discover,
            _ => Brand::Other,
        }
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum CardType {
    #[strum(serialize = "credit")]
    Credit,
    #[strum(serialize = "debit")]
    Debit,
    #[strum(serialize = "prepaid")]
    Prepaid,
}

impl CardType {
    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }
}

/// What a card's BIN (its first 6 digits) says about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bin {
    pub brand: Brand,
    pub card_type: CardType,
}

/// Debit and prepaid BINs known without the merchant's own rows (the test gateway's cards of
/// SPEC 4.6 among them); every other BIN is credit. Merchants add rows of their own (the
/// "PrePaid BIN Mapping" page), which are checked before these.
pub const BUILT_IN_BINS: &[(&str, CardType)] = &[
    ("400005", CardType::Debit),
    ("520082", CardType::Debit),
    ("510510", CardType::Prepaid),
];

impl Bin {
    fn of(digits: &str) -> Bin {
        let card_type = BUILT_IN_BINS
            .iter()
            .find(|(bin, _)| digits.starts_with(bin))
            .map_or(CardType::Credit, |(_, kind)| *kind);
        Bin {
            brand: Brand::of(digits),
            card_type,
        }
    }
}

/// A card's expiry, valid through the last day of its month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiry {
    pub month: u32,
    pub year: i32,
}

impl Expiry {
    /// Reads a month (1-12) and a four-digit year, refusing a card expired before `today`.
    pub fn parse(month: &str, year: &str, today: chrono::NaiveDate) -> Result<Self, CardError> {
        use chrono::Datelike;
        let month = month
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=12).contains(m))
            .ok_or(CardError::Month)?;
        let year = year
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or(CardError::Year)?;
        if (year, month) < (today.year(), today.month()) {
            return Err(CardError::Expired);
        }
        Ok(Self { month, year })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_pass_the_luhn_check_or_are_refused() {
        let card = CardNumber::parse("4111 1111-1111 1111").expect("a test Visa");
        assert_eq!((card.first6(), card.last4()), ("411111", "1111"));
        assert_eq!(CardNumber::parse("4111111111111112"), Err(CardError::Luhn));
        assert_eq!(
            CardNumber::parse("4111a11111111111"),
            Err(CardError::NotDigits)
        );
        assert_eq!(CardNumber::parse("42"), Err(CardError::Length));
        assert_eq!(CardNumber::parse("  "), Err(CardError::Missing));
        assert_eq!(
            format!("{card:?}"),
            "CardNumber(…1111)",
            "Debug never shows the number"
        );
    }

    #[test]
    fn r_tg_1_brand_and_type_come_from_the_bin() {
        let bin = |n: &str| CardNumber::parse(n).expect("valid").bin();
        let credit = |brand| Bin {
            brand,
            card_type: CardType::Credit,
        };
        assert_eq!(bin("4111111111111111"), credit(Brand::Visa));
        assert_eq!(bin("5555555555554444"), credit(Brand::Mastercard));
        assert_eq!(bin("378282246310005"), credit(Brand::Amex));
        assert_eq!(bin("6011111111111117"), credit(Brand::Discover));
        assert_eq!(bin("5200000000000007"), credit(Brand::Mastercard));
        assert_eq!(
            bin("4000056655665556"),
            Bin {
                brand: Brand::Visa,
                card_type: CardType::Debit
            }
        );
        assert_eq!(
            bin("5200828282828210"),
            Bin {
                brand: Brand::Mastercard,
                card_type: CardType::Debit
            }
        );
        assert_eq!(
            bin("5105105105105100"),
            Bin {
                brand: Brand::Mastercard,
                card_type: CardType::Prepaid
            }
        );
    }

    #[test]
    fn r_tg_2_a_fingerprint_recognises_a_card_without_keeping_it() {
        let card = CardNumber::parse("4111111111111111").unwrap();
        let again = CardNumber::parse("4111-1111-1111-1111").unwrap();
        let other = CardNumber::parse("5555555555554444").unwrap();
        let key = b"fingerprint key from configuration";
        let print = card.fingerprint(key);
        assert_eq!(
            print,
            again.fingerprint(key),
            "the same card, however typed"
        );
        assert_ne!(print, other.fingerprint(key));
        assert_ne!(print, card.fingerprint(b"another key"), "keyed");
        assert!(!print.as_str().contains("4111111111111111"));
        assert_eq!(Fingerprint::from_stored(print.as_str()), Some(print));
        assert_eq!(Fingerprint::from_stored("not hex"), None);
    }

    #[test]
    fn expiry_is_a_month_and_year_not_yet_past() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(
            Expiry::parse("12", "2026", today),
            Ok(Expiry {
                month: 12,
                year: 2026
            }),
            "valid through its last day"
        );
        assert_eq!(Expiry::parse("11", "2026", today), Err(CardError::Expired));
        assert_eq!(Expiry::parse("13", "2027", today), Err(CardError::Month));
        assert_eq!(Expiry::parse("1", "27", today), Err(CardError::Year));
    }
}
