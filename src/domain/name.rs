//! The name a merchant gives a thing (a routing or recycle profile, a product, a campaign):
//! trimmed, present, short.

use std::fmt;

/// What is being named, for the message ("Enter a profile name.").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    Profile,
    Product,
    Campaign,
}

impl Named {
    fn noun(self) -> &'static str {
        match self {
            Named::Profile => "profile",
            Named::Product => "product",
            Named::Campaign => "campaign",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("Enter a {} name.", .0.noun())]
    Missing(Named),
    #[error("Use at most {} characters.", Name::MAX_LEN)]
    TooLong,
}

/// A name as typed, trimmed; unique per kind of thing (the database says so).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Name(String);

impl Name {
    pub const MAX_LEN: usize = 100;

    pub fn parse(raw: &str, what: Named) -> Result<Self, NameError> {
        let name = raw.trim();
        if name.is_empty() {
            Err(NameError::Missing(what))
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

/// Whether `name` matches a list's search box: it contains `query` in any case, and an empty
/// query matches every name. One rule for every list searched by name.
pub fn matches_search(name: &str, query: &str) -> bool {
    let query = query.trim().to_lowercase();
    query.is_empty() || name.to_lowercase().contains(&query)
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_present_and_at_most_100_characters() {
        let parse = |raw: &str| Name::parse(raw, Named::Profile);
        assert_eq!(parse("  Main ").unwrap().to_string(), "Main");
        assert_eq!(parse(" \t"), Err(NameError::Missing(Named::Profile)));
        assert!(parse(&"é".repeat(100)).is_ok());
        assert_eq!(parse(&"é".repeat(101)), Err(NameError::TooLong));
        assert_eq!(
            Name::parse("", Named::Product).unwrap_err().to_string(),
            "Enter a product name."
        );
    }

    #[test]
    fn a_search_matches_part_of_a_name_in_any_case() {
        assert!(matches_search("Main Cascade", " main "));
        assert!(matches_search("Main Cascade", ""));
        assert!(!matches_search("Main Cascade", "spread"));
    }
}
