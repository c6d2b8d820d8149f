//! Users and roles: the values a person types, parsed once at the edge.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use super::contact::{Email, PersonName};
use super::ids::{RoleId, UserId};
use super::permission::{BuiltinRole, PermissionSet};

#[derive(Debug, Error, PartialEq, Eq)]
pub enum ParseError {
    #[error("Use at least {min} characters.", min = Password::MIN_LEN)]
    PasswordTooShort,
    #[error("Use at most {max} characters.", max = Password::MAX_LEN)]
    PasswordTooLong,
    #[error("This password is too easy to guess; pick a longer, less common one.")]
    PasswordTooCommon,
    #[error("The password must not contain the email address.")]
    PasswordContainsEmail,
    #[error(
        "Role names use 2 to 40 lowercase letters, digits or underscores, starting with a letter."
    )]
    RoleNameInvalid,
}

/// A new password that passed the policy. Its `Debug` never shows the value.
pub struct Password(SecretString);

const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password123",
    "passw0rd",
    "123456789012",
    "qwertyuiop",
    "qwertyuiopas",
    "letmein",
    "welcome",
    "iloveyou",
    "admin",
    "administrator",
    "changeme",
    "recoup",
    "monkey",
    "dragon",
    "football",
    "baseball",
    "sunshine",
    "trustno1",
    "abcdefghijkl",
    "correcthorse",
];

impl Password {
    pub const MIN_LEN: usize = 12;
    pub const MAX_LEN: usize = 128;

    /// The policy: 12 to 128 characters, not built from a common password or from few distinct
    /// characters, and not containing the account's email.
    pub fn parse(raw: &str, email: Option<&Email>) -> Result<Self, ParseError> {
        let len = raw.chars().count();
        if len < Self::MIN_LEN {
            return Err(ParseError::PasswordTooShort);
        }
        if len > Self::MAX_LEN {
            return Err(ParseError::PasswordTooLong);
        }
        let lower = raw.to_lowercase();
        let distinct: std::collections::BTreeSet<char> = lower.chars().collect();
        let stripped: String = lower.chars().filter(|c| c.is_alphabetic()).collect();
        if distinct.len() < 5
            || COMMON_PASSWORDS
                .iter()
                .any(|c| stripped == *c || lower.starts_with(c) && lower.len() < c.len() + 5)
        {
            return Err(ParseError::PasswordTooCommon);
        }
        if let Some(email) = email {
            let local = email.as_str().split('@').next().unwrap_or_default();
            if lower.contains(email.as_str()) || (local.len() >= 4 && lower.contains(local)) {
                return Err(ParseError::PasswordContainsEmail);
            }
        }
        Ok(Self(SecretString::from(raw.to_owned())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// A role's name: built-in or custom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleName(String);

impl RoleName {
    pub fn parse(raw: &str) -> Result<Self, ParseError> {
        let value = raw.trim();
        let ok = (2..=40).contains(&value.len())
            && value.starts_with(|c: char| c.is_ascii_lowercase())
            && value
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if ok {
            Ok(Self(value.to_owned()))
        } else {
            Err(ParseError::RoleNameInvalid)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A role with its resolved permissions.
#[derive(Debug, Clone)]
pub struct Role {
    pub id: RoleId,
    pub name: String,
    pub description: String,
    pub builtin: Option<BuiltinRole>,
    pub permissions: PermissionSet,
    pub user_count: i64,
}

/// A user by id and email, for pickers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserLabel {
    pub id: UserId,
    pub email: String,
}

/// A user as the admin pages see it.
#[derive(Debug, Clone)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role_id: RoleId,
    pub role_name: String,
    pub active: bool,
    pub last_login_at: Option<chrono::DateTime<chrono::Utc>>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A new user's fields, each already valid on its own. Whether the email is free and the role
/// exists is for the service to say.
#[derive(Debug)]
pub struct NewUser {
    pub email: Email,
    pub name: PersonName,
    pub role: RoleName,
    pub password: Password,
}

impl NewUser {
    pub fn parse(
        email: &str,
        name: &str,
        role: &str,
        password: &str,
    ) -> Result<Self, super::FieldErrors> {
        let mut errors = super::FieldErrors::default();
        let email = errors.take("email", Email::parse(email));
        let name = errors.take("name", PersonName::parse(name));
        let role = if role.trim().is_empty() {
            errors.push("role", "Pick a role.");
            None
        } else {
            errors.take("role", RoleName::parse(role))
        };
        let password = errors.take("password", Password::parse(password, email.as_ref()));
        match (email, name, role, password) {
            (Some(email), Some(name), Some(role), Some(password)) if errors.is_empty() => {
                Ok(Self {
                    email,
                    name,
                    role,
                    password,
                })
            }
            _ => Err(errors),
        }
    }
}

/// A custom role's fields.
#[derive(Debug)]
pub struct RoleDraft {
    pub name: RoleName,
    pub description: String,
    pub permissions: PermissionSet,
}

impl RoleDraft {
    pub const DESCRIPTION_MAX: usize = 200;

    pub fn parse(
        name: &str,
        description: &str,
        permission_keys: &[String],
    ) -> Result<Self, super::FieldErrors> {
        let mut errors = super::FieldErrors::default();
        let name = errors.take("name", RoleName::parse(name));
        if name
            .as_ref()
            .is_some_and(|n| BuiltinRole::from_name(n.as_str()).is_some())
        {
            errors.push("name", "That name belongs to a built-in role.");
        }
        let description = description.trim();
        if description.chars().count() > Self::DESCRIPTION_MAX {
            errors.push(
                "description",
                format!("Use at most {} characters.", Self::DESCRIPTION_MAX),
            );
        }
        let mut permissions = Vec::new();
        for key in permission_keys {
            match super::permission::Permission::from_key(key) {
                Some(p) => permissions.push(p),
                None => errors.push("permissions", format!("Unknown permission `{key}`.")),
            }
        }
        if permission_keys.is_empty() {
            errors.push("permissions", "Pick at least one permission.");
        }
        match name {
            Some(name) if errors.is_empty() => Ok(Self {
                name,
                description: description.to_owned(),
                permissions: permissions.into_iter().collect(),
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused() {
        let email = Email::parse("ann.lee@example.com").ok();
        assert_eq!(
            Password::parse("short", None).err(),
            Some(ParseError::PasswordTooShort)
        );
        assert_eq!(
            Password::parse("aaaaaaaaaaaaaaaa", None).err(),
            Some(ParseError::PasswordTooCommon)
        );
        assert_eq!(
            Password::parse("Password123!", None).err(),
            Some(ParseError::PasswordTooCommon)
        );
        assert_eq!(
            Password::parse("xx-ann.lee-2026-x", email.as_ref()).err(),
            Some(ParseError::PasswordContainsEmail)
        );
        assert!(Password::parse("violet-harbour-tram-42", email.as_ref()).is_ok());
    }

    #[test]
    fn role_names_are_restricted() {
        assert!(RoleName::parse("refund_desk").is_ok());
        for bad in [
            "",
            "a",
            "Refunds",
            "1st",
            "with space",
            "x".repeat(41).as_str(),
        ] {
            assert!(RoleName::parse(bad).is_err(), "{bad} should be refused");
        }
    }
}
