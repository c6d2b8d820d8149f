//! How people are reached: email addresses, names and phone numbers, parsed once at the edge.
//! Users use them today; customers will too.

use std::fmt;

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ContactError {
    #[error("Enter an email address.")]
    EmailMissing,
    #[error("Enter a valid email address, like name@example.com.")]
    EmailInvalid,
    #[error("Enter a name.")]
    NameMissing,
    #[error("Use at most {0} characters.")]
    TooLong(usize),
    #[error("Use letters, numbers and punctuation only.")]
    ControlCharacters,
    #[error("Enter a phone number like +1 (555) 010-7788.")]
    PhoneInvalid,
}

/// A normalised (trimmed, lowercase) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let value = raw.trim().to_lowercase();
        if value.is_empty() {
            return Err(ContactError::EmailMissing);
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(ContactError::TooLong(Self::MAX_LEN));
        }
        let Some((local, domain)) = value.split_once('@') else {
            return Err(ContactError::EmailInvalid);
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        let chars_ok = !value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c));
        if local.is_empty() || !domain_ok || !chars_ok {
            return Err(ContactError::EmailInvalid);
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A person's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let value = raw.trim();
        if value.is_empty() {
            return Err(ContactError::NameMissing);
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(ContactError::TooLong(Self::MAX_LEN));
        }
        if value.chars().any(char::is_control) {
            return Err(ContactError::ControlCharacters);
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number as typed: digits with the usual separators, 7 to 15 digits (E.164 allows 15),
/// a `+` only in front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let raw = raw.trim();
        let digits = raw.chars().filter(char::is_ascii_digit).count();
        let allowed = raw
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let plus_ok = raw.find('+').is_none_or(|i| i == 0) && raw.matches('+').count() <= 1;
        if allowed && plus_ok && (7..=15).contains(&digits) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ContactError::PhoneInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("  Ann@Example.COM ").map(|e| e.0),
            Ok("ann@example.com".to_owned())
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn phone_numbers_have_7_to_15_digits_and_a_leading_plus_at_most() {
        for good in ["+1 (555) 010-7788", "555-0107", "+44 20 7946 0958"] {
            assert!(Phone::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "12345",
            "+1 555 010 7788 12345",
            "555-010-77x8",
            "1+555-010-7788",
            "",
        ] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }
}
