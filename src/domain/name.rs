//! The name a merchant gives a profile (routing or recycle billing): trimmed, present, short.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Enter a profile name.")]
    Missing,
    #[error("Use at most {} characters.", ProfileName::MAX_LEN)]
    TooLong,
}

/// A profile's name as typed, trimmed; unique per kind of profile (the database says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileName(String);

impl ProfileName {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, NameError> {
        let name = raw.trim();
        if name.is_empty() {
            Err(NameError::Missing)
        } else if name.chars().count() > Self::MAX_LEN {
            Err(NameError::TooLong)
        } else {
            Ok(Self(name.to_owned()))
        }
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ProfileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_present_and_at_most_100_characters() {
        assert_eq!(ProfileName::parse("  Main ").unwrap().to_string(), "Main");
        assert_eq!(ProfileName::parse(" \t"), Err(NameError::Missing));
        assert!(ProfileName::parse(&"é".repeat(100)).is_ok());
        assert_eq!(
            ProfileName::parse(&"é".repeat(101)),
            Err(NameError::TooLong)
        );
    }
}
