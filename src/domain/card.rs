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

    pub fn label(self) -> &'static str {
        match self {
            CardType::Credit => "Credit",
            CardType::Debit => "Debit",
            CardType::Prepaid => "Prepaid",
        }
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

impl Bin {
    /// This BIN with the merchant's own row for it applied: a mapped type (debit or prepaid,
    /// from the "PrePaid BIN Mapping" page) overrides what the built-in table says.
    pub fn with_mapping(self, mapped: Option<CardType>) -> Bin {
        Bin {
            card_type: mapped.unwrap_or(self.card_type),
            ..self
        }
    }
}

/// A BIN as a merchant types it on the mapping page: exactly 6 digits, a card number's first 6.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BinNumber(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BinError {
    #[error("Enter the BIN: the first 6 digits of the card number.")]
    Missing,
    #[error("A BIN is exactly 6 digits, like 411111.")]
    Shape,
    #[error("Search by the first digits of a BIN: 1 to 6 digits.")]
    Prefix,
    #[error("Pick debit or prepaid.")]
    CardType,
    #[error("Use at most 200 characters for the note.")]
    NoteLength,
}

impl BinNumber {
    pub fn parse(raw: &str) -> Result<Self, BinError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(BinError::Missing);
        }
        if raw.len() != 6 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BinError::Shape);
        }
        Ok(Self(raw.to_owned()))
    }

    /// A stored BIN, if it has the shape of one.
    pub fn from_stored(value: &str) -> Option<Self> {
        Self::parse(value).ok().filter(|b| b.0 == value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The built-in type of this BIN, when the built-in table knows it.
    pub fn built_in(&self) -> Option<CardType> {
        BUILT_IN_BINS
            .iter()
            .find(|(bin, _)| *bin == self.0)
            .map(|(_, kind)| *kind)
    }

    /// The lowest and highest BIN there are, for a search by no prefix.
    pub fn full_range() -> (BinNumber, BinNumber) {
        (
            BinNumber("000000".to_owned()),
            BinNumber("999999".to_owned()),
        )
    }

    /// The lowest and highest BIN starting with `prefix` (1 to 6 digits), so a search by prefix
    /// is a range on the index: "41" is 410000..=419999.
    pub fn prefix_range(prefix: &str) -> Result<(BinNumber, BinNumber), BinError> {
        let prefix = prefix.trim();
        if prefix.is_empty() || prefix.len() > 6 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BinError::Prefix);
        }
        let pad = |fill: char| {
            let mut bin = prefix.to_owned();
            bin.extend(std::iter::repeat_n(fill, 6 - prefix.len()));
            BinNumber(bin)
        };
        Ok((pad('0'), pad('9')))
    }
}

impl fmt::Display for BinNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The types a merchant's BIN row may give: a BIN not listed is credit, so "credit" is no row.
pub fn mappable_type(key: &str) -> Result<CardType, BinError> {
    match CardType::from_key(key.trim()) {
        Some(kind @ (CardType::Debit | CardType::Prepaid)) => Ok(kind),
        _ => Err(BinError::CardType),
    }
}

pub const BIN_NOTE_MAX: usize = 200;

/// A merchant's BIN row to add: valid by construction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinRangeDraft {
    pub bin: BinNumber,
    /// Debit or prepaid (see [`mappable_type`]).
    pub card_type: CardType,
    pub note: String,
}

impl BinRangeDraft {
    /// Reads the mapping form's fields, with every field's message at once.
    pub fn parse(bin: &str, card_type: &str, note: &str) -> Result<Self, super::FieldErrors> {
        let mut errors = super::FieldErrors::default();
        let bin = errors.take("bin", BinNumber::parse(bin));
        let card_type = errors.take("card_type", mappable_type(card_type));
        let note = note.trim();
        if note.chars().count() > BIN_NOTE_MAX {
            errors.push("note", BinError::NoteLength.to_string());
        }
        match (bin, card_type) {
            (Some(bin), Some(card_type)) if errors.is_empty() => Ok(Self {
                bin,
                card_type,
                note: note.to_owned(),
            }),
            _ => Err(errors),
        }
    }
}

/// A merchant's BIN row as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinRange {
    pub id: super::ids::BinRangeId,
    pub bin: BinNumber,
    pub card_type: CardType,
    pub note: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
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
    fn r_mid_3_a_merchant_row_overrides_the_built_in_type() {
        let visa = CardNumber::parse("4111111111111111").unwrap().bin();
        assert_eq!(visa.card_type, CardType::Credit);
        let mapped = visa.with_mapping(Some(CardType::Prepaid));
        assert_eq!(
            mapped,
            Bin {
                brand: Brand::Visa,
                card_type: CardType::Prepaid
            },
            "the brand stays, the type is the merchant's"
        );
        let prepaid = CardNumber::parse("5105105105105100").unwrap().bin();
        assert_eq!(
            prepaid.with_mapping(None),
            prepaid,
            "no row: the built-in type"
        );
        assert_eq!(
            prepaid.with_mapping(Some(CardType::Debit)).card_type,
            CardType::Debit
        );
    }

    #[test]
    fn a_bin_is_exactly_six_digits() {
        assert_eq!(BinNumber::parse(" 411111 ").unwrap().as_str(), "411111");
        assert_eq!(BinNumber::parse(""), Err(BinError::Missing));
        for bad in [
            "12345",
            "abcdef",
            "1234567",
            "41 111",
            "４１１１１１",
            "-12345",
        ] {
            assert_eq!(BinNumber::parse(bad), Err(BinError::Shape), "{bad}");
        }
        assert_eq!(
            BinNumber::from_stored("411111").map(|b| b.0),
            Some("411111".into())
        );
        assert_eq!(BinNumber::from_stored(" 411111"), None);
        assert_eq!(
            BinNumber::parse("510510").unwrap().built_in(),
            Some(CardType::Prepaid)
        );
        assert_eq!(BinNumber::parse("411111").unwrap().built_in(), None);
    }

    #[test]
    fn a_bin_prefix_searches_a_range() {
        let range = |p: &str| BinNumber::prefix_range(p).map(|(lo, hi)| (lo.0, hi.0));
        assert_eq!(range("41"), Ok(("410000".into(), "419999".into())));
        assert_eq!(range("411111"), Ok(("411111".into(), "411111".into())));
        for bad in ["", "4111111", "4a", "%"] {
            assert_eq!(range(bad), Err(BinError::Prefix), "{bad}");
        }
    }

    #[test]
    fn a_bin_row_is_debit_or_prepaid_with_a_short_note() {
        let draft = BinRangeDraft::parse("411111", "prepaid", " gift cards ").unwrap();
        assert_eq!(
            (draft.bin.as_str(), draft.card_type, draft.note.as_str()),
            ("411111", CardType::Prepaid, "gift cards")
        );
        let errors = BinRangeDraft::parse("12345", "credit", &"x".repeat(201)).unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["bin", "card_type", "note"]
        );
        assert_eq!(
            errors.get("bin"),
            Some("A BIN is exactly 6 digits, like 411111.")
        );
        assert!(BinRangeDraft::parse("411111", "debit", &"é".repeat(200)).is_ok());
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
