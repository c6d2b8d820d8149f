//! Routing profiles: ATRI gateway profiles share new sales over weighted MIDs; cascade profiles
//! list the MIDs an initial-sale soft decline is retried on, in order (R-GW-3).

use super::ids::{MidId, ProfileId};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum ProfileKind {
    #[strum(serialize = "atri")]
    Atri,
    #[strum(serialize = "cascade")]
    Cascade,
}

impl ProfileKind {
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
            ProfileKind::Atri => "ATRI gateway profile",
            ProfileKind::Cascade => "Cascade profile",
        }
    }
}

/// A MID's place in a profile: its weight (ATRI) and its position (cascade order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileMember {
    pub mid_id: MidId,
    pub mid_title: String,
    pub weight: i64,
    pub position: i64,
}

#[derive(Debug, Clone)]
pub struct RoutingProfile {
    pub id: ProfileId,
    pub name: String,
    pub kind: ProfileKind,
    pub members: Vec<ProfileMember>,
}

/// A profile's fields, each valid on its own; salvage-only checks need the MIDs (service).
#[derive(Debug, Clone)]
pub struct ProfileDraft {
    pub name: String,
    pub kind: ProfileKind,
    /// (MID, weight, position), in cascade order.
    pub members: Vec<(MidId, i64, i64)>,
}
