//! The decline-mapping form as typed, and its conversion into a domain draft.

use crate::domain::FieldErrors;
use crate::domain::decline::{DeclineClass, MappingDraft};
use crate::domain::provider::Provider;

/// The mapping form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct MappingForm {
    pub provider: String,
    pub code: String,
    pub text: String,
    pub class: String,
}

impl TryFrom<&MappingForm> for MappingDraft {
    type Error = FieldErrors;

    /// Every field error at once.
    fn try_from(form: &MappingForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let provider = match form.provider.trim() {
            "" | "any" => None,
            key => errors
                .take(
                    "provider",
                    Provider::from_key(key)
                        .map(Some)
                        .ok_or("Pick a gateway or “any”."),
                )
                .flatten(),
        };
        let code = form.code.trim();
        let text = form.text.trim();
        if code.is_empty() && text.is_empty() {
            errors.push("code", "Enter a response code, a response text, or both.");
        }
        if code.chars().count() > 20
            || !code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            errors.push(
                "code",
                "Codes are up to 20 letters, digits, dots or dashes.",
            );
        }
        if text.chars().count() > 200 {
            errors.push("text", "Use at most 200 characters.");
        }
        let class = errors.take(
            "class",
            DeclineClass::from_key(form.class.trim()).ok_or("Pick soft or hard."),
        );
        match class {
            Some(class) if errors.is_empty() => Ok(Self {
                provider,
                code: code.to_owned(),
                text: text.to_owned(),
                class,
            }),
            _ => Err(errors),
        }
    }
}
