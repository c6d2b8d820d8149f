//! Money as integer minor units. Amounts typed by people are parsed straight into minor units,
//! never through a float.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MinorUnits(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("Enter an amount like 1500 or 1500.00.")]
    Invalid,
    #[error("Use at most two decimal places.")]
    TooPrecise,
    #[error("Enter an amount greater than 0.")]
    NotPositive,
    #[error("That amount is too large.")]
    TooLarge,
}

impl MinorUnits {
    /// Largest amount accepted from a form: 1 billion in major units.
    const MAX: i64 = 100_000_000_000;

    pub fn new(value: i64) -> Self {
        Self(value)
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// Parses "1500", "1500.5", "1,500.00" (two decimals at most) into minor units; must be > 0.
    pub fn parse_positive(raw: &str) -> Result<Self, MoneyError> {
        let cleaned: String = raw
            .trim()
            .chars()
            .filter(|c| *c != ',' && *c != '$')
            .collect();
        if cleaned.is_empty() {
            return Err(MoneyError::Invalid);
        }
        let (whole, fraction) = cleaned.split_once('.').unwrap_or((&cleaned, ""));
        if whole.is_empty() && fraction.is_empty()
            || !whole.chars().all(|c| c.is_ascii_digit())
            || !fraction.chars().all(|c| c.is_ascii_digit())
        {
            return Err(MoneyError::Invalid);
        }
        if fraction.len() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        if whole.len() > 12 {
            return Err(MoneyError::TooLarge);
        }
        let whole: i64 = if whole.is_empty() {
            0
        } else {
            whole.parse().map_err(|_| MoneyError::Invalid)?
        };
        let cents: i64 = format!("{fraction:0<2}")
            .parse()
            .map_err(|_| MoneyError::Invalid)?;
        let value = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or(MoneyError::TooLarge)?;
        if value <= 0 {
            return Err(MoneyError::NotPositive);
        }
        if value > Self::MAX {
            return Err(MoneyError::TooLarge);
        }
        Ok(Self(value))
    }
}

/// An amount with its currency; the only thing templates format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Money {
    pub amount: MinorUnits,
    pub currency: Currency,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Currency {
    Usd,
}

impl Currency {
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.amount.get();
        let sign = if v < 0 { "-" } else { "" };
        let abs = v.unsigned_abs();
        let whole = (abs / 100).to_string();
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        write!(
            f,
            "{sign}{grouped}.{:02} {}",
            abs % 100,
            self.currency.code()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_into_minor_units_without_floats() {
        assert_eq!(
            MinorUnits::parse_positive("1500").map(MinorUnits::get),
            Ok(150_000)
        );
        assert_eq!(
            MinorUnits::parse_positive("1,500.5").map(MinorUnits::get),
            Ok(150_050)
        );
        assert_eq!(
            MinorUnits::parse_positive("0.07").map(MinorUnits::get),
            Ok(7)
        );
        assert_eq!(
            MinorUnits::parse_positive("12.345"),
            Err(MoneyError::TooPrecise)
        );
        assert_eq!(
            MinorUnits::parse_positive("0"),
            Err(MoneyError::NotPositive)
        );
        for bad in ["", "abc", "-5", "1.2.3", "1e5", "."] {
            assert!(MinorUnits::parse_positive(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn money_formats_with_grouping() {
        let m = Money {
            amount: MinorUnits::new(123_456_789),
            currency: Currency::Usd,
        };
        assert_eq!(m.to_string(), "1,234,567.89 USD");
    }
}
