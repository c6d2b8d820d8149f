//! Soft or hard: how a decline is classified (SPEC 3 "Decline message mapping", R-GW-6).
//!
//! Merchant mappings come first; the built-in table below answers the rest. One function,
//! [`classify`], is the only place the engine and pages ask.

use super::ids::MappingId;
use super::provider::Provider;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum DeclineClass {
    /// Worth retrying later or elsewhere (insufficient funds, do not honor, ...).
    #[strum(serialize = "soft")]
    Soft,
    /// Retrying cannot succeed and may break network rules (stolen card, closed account, ...).
    #[strum(serialize = "hard")]
    Hard,
}

impl DeclineClass {
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// Every variant, in declaration order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }
}

/// A valid mapping row.
#[derive(Debug, Clone)]
pub struct MappingDraft {
    pub provider: Option<Provider>,
    pub code: String,
    pub text: String,
    pub class: DeclineClass,
}

/// A gateway's answer to a payment.
#[derive(Debug, Clone, Copy)]
pub struct GatewayResponse<'a> {
    pub provider: Option<Provider>,
    pub code: &'a str,
    pub text: &'a str,
    /// Mastercard's merchant advice code, when the gateway passes one on.
    pub advice_code: Option<&'a str>,
}

/// Mastercard merchant advice codes that forbid any retry of the card: 03 (do not try again)
/// and 21 (payment cancellation). The network's word beats every mapping.
pub const NEVER_RETRY_ADVICE: &[&str] = &["03", "21"];

/// A merchant's mapping row: (provider or any, code and/or text) -> class.
#[derive(Debug, Clone)]
pub struct DeclineMapping {
    pub id: MappingId,
    pub provider: Option<Provider>,
    pub code: String,
    pub text: String,
    pub class: DeclineClass,
}

impl DeclineMapping {
    /// A row matches when every part it names matches: the provider (unless "any"), the code
    /// exactly, and the text as a case-insensitive substring of the response text.
    fn matches(&self, response: &GatewayResponse<'_>) -> bool {
        let provider_ok = self.provider.is_none() || self.provider == response.provider;
        let code_ok = self.code.is_empty() || self.code.eq_ignore_ascii_case(response.code.trim());
        let text_ok = self.text.is_empty()
            || response
                .text
                .to_lowercase()
                .contains(&self.text.to_lowercase());
        provider_ok && code_ok && text_ok
    }

    /// More specific rows win: a named provider over "any", a code over text only.
    fn specificity(&self) -> u8 {
        u8::from(self.provider.is_some()) * 4
            + u8::from(!self.code.is_empty()) * 2
            + u8::from(!self.text.is_empty())
    }
}

/// One row of the built-in classification, shown read-only beside the merchant's mappings.
pub struct DefaultRule {
    pub code: &'static str,
    pub text: &'static str,
    pub class: DeclineClass,
}

const fn rule(code: &'static str, text: &'static str, class: DeclineClass) -> DefaultRule {
    DefaultRule { code, text, class }
}

/// Common issuer responses (ISO 8583 style codes) and their usual meaning for retries.
pub const DEFAULT_RULES: &[DefaultRule] = &[
    rule("51", "insufficient funds", DeclineClass::Soft),
    rule("05", "do not honor", DeclineClass::Soft),
    rule("61", "exceeds withdrawal limit", DeclineClass::Soft),
    rule("65", "exceeds withdrawal frequency", DeclineClass::Soft),
    rule("91", "issuer unavailable", DeclineClass::Soft),
    rule("96", "system malfunction", DeclineClass::Soft),
    rule("19", "re-enter transaction", DeclineClass::Soft),
    rule("01", "refer to card issuer", DeclineClass::Soft),
    rule("04", "pick up card", DeclineClass::Hard),
    rule("07", "pick up card, special condition", DeclineClass::Hard),
    rule("14", "invalid card number", DeclineClass::Hard),
    rule("15", "no such issuer", DeclineClass::Hard),
    rule("41", "lost card", DeclineClass::Hard),
    rule("43", "stolen card", DeclineClass::Hard),
    rule("54", "expired card", DeclineClass::Hard),
    rule("57", "transaction not permitted", DeclineClass::Hard),
    rule("62", "restricted card", DeclineClass::Hard),
    rule("R1", "invalid account", DeclineClass::Hard),
    rule("R2", "closed account", DeclineClass::Hard),
    rule("R3", "no account", DeclineClass::Hard),
];

/// Soft or hard for `response`: the most specific matching mapping, else the built-in table (by
/// code, then by text), else soft, since an unknown decline is usually a temporary one and
/// card-network retry limits are enforced separately.
pub fn classify(mappings: &[DeclineMapping], response: &GatewayResponse<'_>) -> DeclineClass {
    if response
        .advice_code
        .is_some_and(|code| NEVER_RETRY_ADVICE.contains(&code.trim()))
    {
        return DeclineClass::Hard;
    }
    if let Some(mapping) = mappings
        .iter()
        .filter(|m| m.matches(response))
        .max_by_key(|m| m.specificity())
    {
        return mapping.class;
    }
    let code = response.code.trim();
    if let Some(rule) = DEFAULT_RULES
        .iter()
        .find(|r| !code.is_empty() && r.code.eq_ignore_ascii_case(code))
    {
        return rule.class;
    }
    let text = response.text.to_lowercase();
    // Longest phrase first, so "pick up card, special condition" beats "pick up card".
    let mut by_text: Vec<&DefaultRule> = DEFAULT_RULES
        .iter()
        .filter(|r| text.contains(r.text))
        .collect();
    by_text.sort_by_key(|r| std::cmp::Reverse(r.text.len()));
    by_text.first().map_or(DeclineClass::Soft, |r| r.class)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response<'a>(code: &'a str, text: &'a str) -> GatewayResponse<'a> {
        GatewayResponse {
            provider: Some(Provider::Test),
            code,
            text,
            advice_code: None,
        }
    }

    #[test]
    fn a_never_retry_advice_code_is_hard_whatever_the_mappings_say() {
        let soft_05 = DeclineMapping {
            id: MappingId(1),
            provider: None,
            code: "05".to_owned(),
            text: String::new(),
            class: DeclineClass::Soft,
        };
        let advised = GatewayResponse {
            advice_code: Some("21"),
            ..response("05", "do not honor")
        };
        assert_eq!(
            classify(std::slice::from_ref(&soft_05), &advised),
            DeclineClass::Hard
        );
        let plain = response("05", "do not honor");
        assert_eq!(classify(&[soft_05], &plain), DeclineClass::Soft);
        let other_advice = GatewayResponse {
            advice_code: Some("01"),
            ..plain
        };
        assert_eq!(classify(&[], &other_advice), DeclineClass::Soft);
    }

    #[test]
    fn the_default_table_classifies_common_declines() {
        assert_eq!(classify(&[], &response("51", "")), DeclineClass::Soft);
        assert_eq!(
            classify(&[], &response("", "Do Not Honor")),
            DeclineClass::Soft
        );
        assert_eq!(classify(&[], &response("43", "")), DeclineClass::Hard);
        assert_eq!(
            classify(&[], &response("", "Closed account")),
            DeclineClass::Hard
        );
        assert_eq!(
            classify(&[], &response("", "something new")),
            DeclineClass::Soft
        );
    }

    #[test]
    fn a_more_specific_mapping_wins() {
        let any = DeclineMapping {
            id: MappingId(1),
            provider: None,
            code: "43".into(),
            text: String::new(),
            class: DeclineClass::Soft,
        };
        let flex = DeclineMapping {
            id: MappingId(2),
            provider: Some(Provider::Test),
            code: "43".into(),
            text: String::new(),
            class: DeclineClass::Hard,
        };
        assert_eq!(
            classify(std::slice::from_ref(&any), &response("43", "stolen")),
            DeclineClass::Soft,
            "mapping overrides default"
        );
        assert_eq!(
            classify(&[any, flex], &response("43", "stolen")),
            DeclineClass::Hard
        );
    }
}
