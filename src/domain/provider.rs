//! The gateway providers a MID runs on, and the credentials each needs (SPEC 3, R-GW-1, R-GW-3).

use std::fmt;

/// A gateway integration. Everything but the test gateway is a salvage-only partner.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumIter,
)]
pub enum Provider {
    #[strum(serialize = "test")]
    Test,
    #[strum(serialize = "flexpay")]
    FlexPay,
    #[strum(serialize = "flexfactor")]
    FlexFactor,
    #[strum(serialize = "flexecom")]
    FlexEcom,
}

/// One credential a provider needs. All are required (R-GW-1) and all are encrypted at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CredentialField {
    /// Form field and storage key.
    pub key: &'static str,
    /// The provider's own name for it, as its documentation spells it.
    pub label: &'static str,
    pub hint: &'static str,
    /// A key, secret or password: never shown once saved, only masked. The others are
    /// identifiers (an account number, a site id) that pages show in clear.
    pub secret: bool,
}

impl CredentialField {
    /// The stored value as a page may show it: an identifier in clear, a secret masked.
    pub fn shown(&self, value: &str) -> String {
        if self.secret {
            super::mid::mask(value)
        } else {
            value.to_owned()
        }
    }
}

const fn secret(key: &'static str, label: &'static str, hint: &'static str) -> CredentialField {
    CredentialField {
        key,
        label,
        hint,
        secret: true,
    }
}

const fn identifier(key: &'static str, label: &'static str, hint: &'static str) -> CredentialField {
    CredentialField {
        key,
        label,
        hint,
        secret: false,
    }
}

const FLEXPAY_FIELDS: &[CredentialField] = &[secret(
    "apikey",
    "apikey",
    "The API key from your FlexPay account.",
)];
const FLEXFACTOR_FIELDS: &[CredentialField] = &[
    secret("app_key", "AppKey", ""),
    secret("app_secret", "AppSecret", ""),
    identifier("mid_number", "MID #", "The MID number FlexFactor assigned."),
    identifier("site_id", "SiteId", ""),
    secret("environment_key", "EnvironmentKey", "The tokenization key."),
    secret(
        "hmac_signing_key",
        "HMACSigningKey",
        "Verifies the results FlexFactor sends back.",
    ),
];
const FLEXECOM_FIELDS: &[CredentialField] = &[
    secret("public_key", "publicKey", ""),
    secret("secret_key", "secretKey", ""),
    secret(
        "signing_secret",
        "signingSecret",
        "Verifies the results FlexEcom sends back.",
    ),
];

impl Provider {
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

    pub fn label(self) -> &'static str {
        match self {
            Provider::Test => "Test gateway",
            Provider::FlexPay => "FlexPay",
            Provider::FlexFactor => "FlexFactor",
            Provider::FlexEcom => "FlexEcom",
        }
    }

    pub fn purpose(self) -> &'static str {
        match self {
            Provider::Test => {
                "The built-in sandbox: processes test cards so you can try sales, declines and refunds without a real gateway."
            }
            Provider::FlexPay => {
                "Decline recovery: takes over recurring declines from a recycle billing profile and retries them for you."
            }
            Provider::FlexFactor => {
                "Decline recovery: cascades initial-sale soft declines at once and retries recurring declines for up to expiryDays."
            }
            Provider::FlexEcom => {
                "Decline recovery: cascades initial-sale soft declines and recovers recurring declines."
            }
        }
    }

    /// FlexPay, FlexFactor and FlexEcom only ever take declines, never new sales (R-GW-3).
    pub fn is_salvage_only(self) -> bool {
        match self {
            Provider::FlexPay | Provider::FlexFactor | Provider::FlexEcom => true,
            Provider::Test => false,
        }
    }

    pub fn credential_fields(self) -> &'static [CredentialField] {
        match self {
            Provider::Test => &[],
            Provider::FlexPay => FLEXPAY_FIELDS,
            Provider::FlexFactor => FLEXFACTOR_FIELDS,
            Provider::FlexEcom => FLEXECOM_FIELDS,
        }
    }

    /// FlexFactor and FlexEcom can take every initial-sale soft decline (R-GW-4).
    pub fn offers_cascade_all(self) -> bool {
        matches!(self, Provider::FlexFactor | Provider::FlexEcom)
    }

    pub fn has_expiry_days(self) -> bool {
        matches!(self, Provider::FlexFactor)
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}
