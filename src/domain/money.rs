//! Money: integer minor units with an ISO 4217 currency, never a float. Amounts typed by people
//! are parsed straight into minor units with the currency's own number of decimals; sums and
//! differences are checked, and amounts in two currencies never mix.

use std::fmt;

/// An amount in the smallest unit of some currency (cents, yen, fils).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MinorUnits(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("Enter an amount like 1500 or 1500.00.")]
    Invalid,
    #[error("{}", too_precise(*.0))]
    TooPrecise(u32),
    #[error("Enter an amount greater than 0.")]
    NotPositive,
    #[error("That amount is too large.")]
    TooLarge,
    #[error("Enter a percent from 0 to 100, like 10 or 12.5.")]
    BadPercent,
    #[error("A percent reduction is at most 100.")]
    PercentAbove100,
    #[error("The result does not fit in an amount.")]
    Overflow,
    #[error("Amounts in {0} and {1} cannot be combined.")]
    CurrencyMismatch(Currency, Currency),
}

fn too_precise(decimals: u32) -> String {
    match decimals {
        0 => "Enter a whole amount: this currency has no decimals.".to_owned(),
        1 => "Use at most one decimal place.".to_owned(),
        n => format!("Use at most {n} decimal places."),
    }
}

impl MinorUnits {
    pub const ZERO: Self = Self(0);

    /// A number of minor units as stored or computed (a column ending in `_minor`).
    pub const fn from_minor(value: i64) -> Self {
        Self(value)
    }

    pub fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.0
            .checked_add(other.0)
            .map(Self)
            .ok_or(MoneyError::Overflow)
    }

    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.0
            .checked_sub(other.0)
            .map(Self)
            .ok_or(MoneyError::Overflow)
    }
}

/// The currencies the portal sells in, by ISO 4217 code.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    Default,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
pub enum Currency {
    #[default]
    #[strum(serialize = "USD")]
    Usd,
    #[strum(serialize = "EUR")]
    Eur,
    #[strum(serialize = "GBP")]
    Gbp,
    #[strum(serialize = "CAD")]
    Cad,
    #[strum(serialize = "AUD")]
    Aud,
    #[strum(serialize = "JPY")]
    Jpy,
    #[strum(serialize = "BHD")]
    Bhd,
}

impl Currency {
    pub fn code(self) -> &'static str {
        self.into()
    }

    pub fn from_code(code: &str) -> Option<Self> {
        code.trim().to_ascii_uppercase().parse().ok()
    }

    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    /// How many decimals the currency's minor unit has (ISO 4217).
    pub fn exponent(self) -> u32 {
        match self {
            Currency::Jpy => 0,
            Currency::Usd | Currency::Eur | Currency::Gbp | Currency::Cad | Currency::Aud => 2,
            Currency::Bhd => 3,
        }
    }

    fn scale(self) -> i64 {
        10_i64.pow(self.exponent())
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// An amount with its currency: the only thing templates format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    amount: MinorUnits,
    currency: Currency,
}

impl Money {
    /// Largest amount accepted from a form: 1 billion in major units.
    const MAX_MAJOR: i64 = 1_000_000_000;

    pub fn new(amount: MinorUnits, currency: Currency) -> Self {
        Self { amount, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(MinorUnits::ZERO, currency)
    }

    /// `units` whole units of `currency` (20 USD = 2000 minor units, 20 JPY = 20), if it fits.
    pub fn whole(units: i64, currency: Currency) -> Option<Self> {
        units
            .checked_mul(currency.scale())
            .map(|minor| Self::new(MinorUnits(minor), currency))
    }

    pub fn amount(self) -> MinorUnits {
        self.amount
    }

    pub fn currency(self) -> Currency {
        self.currency
    }

    /// Parses what a person typed ("1500", "1,500.5", "0.07") into `currency`'s minor units,
    /// with at most the currency's decimals; zero and more.
    pub fn parse(raw: &str, currency: Currency) -> Result<Self, MoneyError> {
        let cleaned: String = raw
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '$')
            .collect();
        let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        if whole.is_empty() && fraction.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
        {
            return Err(MoneyError::Invalid);
        }
        let decimals = currency.exponent();
        if fraction.len() > decimals as usize {
            return Err(MoneyError::TooPrecise(decimals));
        }
        if whole.len() > 12 {
            return Err(MoneyError::TooLarge);
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyError::Invalid)?
        };
        let fraction: i64 = if decimals == 0 {
            0
        } else {
            format!("{fraction:0<width$}", width = decimals as usize)
                .parse()
                .map_err(|_| MoneyError::Invalid)?
        };
        if whole > Self::MAX_MAJOR {
            return Err(MoneyError::TooLarge);
        }
        let minor = whole
            .checked_mul(currency.scale())
            .and_then(|w| w.checked_add(fraction))
            .ok_or(MoneyError::TooLarge)?;
        Ok(Self::new(MinorUnits(minor), currency))
    }

    /// As [`Money::parse`], and more than zero.
    pub fn parse_positive(raw: &str, currency: Currency) -> Result<Self, MoneyError> {
        let money = Self::parse(raw, currency)?;
        if money.amount.get() <= 0 {
            return Err(MoneyError::NotPositive);
        }
        Ok(money)
    }

    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        Ok(Self::new(
            self.amount.checked_add(other.amount)?,
            self.currency,
        ))
    }

    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.same_currency(other)?;
        Ok(Self::new(
            self.amount.checked_sub(other.amount)?,
            self.currency,
        ))
    }

    /// `quantity` times this amount (an order item's price: R-OR-2).
    pub fn checked_times(self, quantity: u32) -> Result<Self, MoneyError> {
        self.amount
            .get()
            .checked_mul(i64::from(quantity))
            .map(|minor| Self::new(MinorUnits(minor), self.currency))
            .ok_or(MoneyError::Overflow)
    }

    fn same_currency(self, other: Self) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }

    /// The amount as a form field shows it: "1500.50", no grouping, no currency.
    pub fn to_input(self) -> String {
        let (sign, whole, fraction) = self.parts();
        match fraction {
            Some(f) => format!("{sign}{whole}.{f}"),
            None => format!("{sign}{whole}"),
        }
    }

    /// Sign, whole units, and the fraction padded to the currency's decimals (none for JPY).
    fn parts(self) -> (&'static str, u64, Option<String>) {
        let v = self.amount.get();
        let sign = if v < 0 { "-" } else { "" };
        let abs = v.unsigned_abs();
        let scale = self.currency.scale().unsigned_abs();
        let decimals = self.currency.exponent() as usize;
        let fraction = (decimals > 0).then(|| format!("{:0decimals$}", abs % scale));
        (sign, abs / scale, fraction)
    }
}

/// "1,234.56 USD", "1,234 JPY", "1.234 BHD".
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (sign, whole, fraction) = self.parts();
        let whole = whole.to_string();
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        match fraction {
            Some(fraction) => write!(f, "{sign}{grouped}.{fraction} {}", self.currency),
            None => write!(f, "{sign}{grouped} {}", self.currency),
        }
    }
}

/// A share in hundredths of a percent: 1250 is 12.5 %. Always 0..=100 %.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct BasisPoints(u32);

impl BasisPoints {
    pub const WHOLE: u32 = 10_000;

    pub fn new(points: u32) -> Option<Self> {
        (points <= Self::WHOLE).then_some(Self(points))
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// "12.5" or "12.50" (percent, at most two decimals) into basis points.
    pub fn parse_percent(raw: &str) -> Result<Self, MoneyError> {
        let raw = raw.trim().trim_end_matches('%').trim();
        let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
        let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || fraction.len() > 2 {
            return Err(MoneyError::BadPercent);
        }
        let whole: u32 = whole.parse().map_err(|_| MoneyError::BadPercent)?;
        let fraction: u32 = format!("{fraction:0<2}")
            .parse()
            .map_err(|_| MoneyError::BadPercent)?;
        whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(fraction))
            .and_then(Self::new)
            .ok_or(MoneyError::PercentAbove100)
    }

    /// This share of `money`, rounded half up to the minor unit.
    pub fn of(self, money: Money) -> Money {
        let amount = i128::from(money.amount().get()) * i128::from(self.0);
        let whole = i128::from(Self::WHOLE);
        let rounded = (amount + whole / 2).div_euclid(whole);
        // A share of at most 100 % of an i64 amount fits in an i64.
        let minor = i64::try_from(rounded).unwrap_or(money.amount().get());
        Money::new(MinorUnits::from_minor(minor), money.currency())
    }
}

/// "12.5" (without the sign), as a form field shows it.
impl fmt::Display for BasisPoints {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 % 100 {
            0 => write!(f, "{}", self.0 / 100),
            r if r % 10 == 0 => write!(f, "{}.{}", self.0 / 100, r / 10),
            r => write!(f, "{}.{r:02}", self.0 / 100),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usd(minor: i64) -> Money {
        Money::new(MinorUnits::from_minor(minor), Currency::Usd)
    }

    #[test]
    fn amounts_parse_into_minor_units_without_floats() {
        let parse = |raw| Money::parse_positive(raw, Currency::Usd).map(|m| m.amount().get());
        assert_eq!(parse("1500"), Ok(150_000));
        assert_eq!(parse("1,500.5"), Ok(150_050));
        assert_eq!(parse("0.07"), Ok(7));
        assert_eq!(parse("12.345"), Err(MoneyError::TooPrecise(2)));
        assert_eq!(parse("0"), Err(MoneyError::NotPositive));
        for bad in ["", "abc", "-5", "1.2.3", "1e5", "."] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn each_currency_has_its_own_decimals() {
        let jpy = Money::parse("1500", Currency::Jpy).unwrap();
        assert_eq!(jpy.amount().get(), 1500);
        assert_eq!(jpy.to_string(), "1,500 JPY");
        assert_eq!(
            Money::parse("1500.5", Currency::Jpy),
            Err(MoneyError::TooPrecise(0))
        );
        let bhd = Money::parse("1.234", Currency::Bhd).unwrap();
        assert_eq!(bhd.amount().get(), 1234);
        assert_eq!(bhd.to_string(), "1.234 BHD");
        assert_eq!(bhd.to_input(), "1.234");
        assert_eq!(usd(123_456_789).to_string(), "1,234,567.89 USD");
        assert_eq!(usd(-5).to_string(), "-0.05 USD");
        assert_eq!(usd(150_050).to_input(), "1500.50");
    }

    #[test]
    fn sums_are_checked_and_never_mix_currencies() {
        assert_eq!(usd(150).checked_add(usd(50)), Ok(usd(200)));
        assert_eq!(usd(150).checked_sub(usd(200)), Ok(usd(-50)));
        assert_eq!(usd(i64::MAX).checked_add(usd(1)), Err(MoneyError::Overflow));
        let yen = Money::new(MinorUnits::from_minor(1), Currency::Jpy);
        assert_eq!(
            usd(1).checked_add(yen),
            Err(MoneyError::CurrencyMismatch(Currency::Usd, Currency::Jpy))
        );
    }

    #[test]
    fn percentages_are_basis_points() {
        assert_eq!(
            BasisPoints::parse_percent("12.5").map(BasisPoints::get),
            Ok(1250)
        );
        assert_eq!(
            BasisPoints::parse_percent("100").map(BasisPoints::get),
            Ok(10_000)
        );
        assert_eq!(BasisPoints::parse_percent("0").map(BasisPoints::get), Ok(0));
        for bad in ["101", "-1", "x", "12.345", "", "1e2"] {
            assert!(BasisPoints::parse_percent(bad).is_err(), "{bad}");
        }
        let p = BasisPoints::parse_percent("12.5").unwrap();
        assert_eq!(p.to_string(), "12.5");
        assert_eq!(p.of(usd(1001)), usd(125));
        assert_eq!(BasisPoints::new(3).unwrap().to_string(), "0.03");
    }
}
