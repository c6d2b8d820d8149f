//! Routing profiles: ATRI gateway profiles share new sales over weighted MIDs; cascade profiles
//! list the MIDs an initial-sale soft decline is retried on, in order (R-GW-3).

use super::FieldErrors;
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

/// The profile form: one row per MID offered, with `include_<id>`, `weight_<id>`, `position_<id>`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ProfileForm {
    pub name: String,
    pub kind: String,
    #[serde(flatten)]
    pub rows: std::collections::BTreeMap<String, String>,
}

impl ProfileForm {
    pub fn included(&self, mid: MidId) -> bool {
        self.rows.contains_key(&format!("include_{mid}"))
    }

    pub fn weight(&self, mid: MidId) -> &str {
        self.rows
            .get(&format!("weight_{mid}"))
            .map_or("", String::as_str)
    }

    pub fn position(&self, mid: MidId) -> &str {
        self.rows
            .get(&format!("position_{mid}"))
            .map_or("", String::as_str)
    }
}

/// A profile's fields, each valid on its own; salvage-only checks need the MIDs (service).
#[derive(Debug, Clone)]
pub struct ProfileDraft {
    pub name: String,
    pub kind: ProfileKind,
    /// (MID, weight, position), in cascade order.
    pub members: Vec<(MidId, i64, i64)>,
}

pub const NAME_MAX: usize = 100;

impl ProfileDraft {
    /// `offered` lists the MIDs the form showed; anything else posted is ignored.
    pub fn parse(form: &ProfileForm, offered: &[MidId]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let name = form.name.trim();
        if name.is_empty() {
            errors.push("name", "Enter a profile name.");
        } else if name.chars().count() > NAME_MAX {
            errors.push("name", format!("Use at most {NAME_MAX} characters."));
        }
        let kind = ProfileKind::from_key(form.kind.trim());
        if kind.is_none() {
            errors.push("kind", "Pick ATRI or cascade.");
        }
        let mut members = Vec::new();
        for (index, mid) in offered
            .iter()
            .enumerate()
            .filter(|(_, m)| form.included(**m))
        {
            let weight = match kind {
                Some(ProfileKind::Atri) => match form.weight(*mid).trim().parse::<i64>() {
                    Ok(w) if (1..=1000).contains(&w) => w,
                    _ => {
                        errors.push("weights", "Weights are whole numbers from 1 to 1000.");
                        continue;
                    }
                },
                _ => 1,
            };
            let position = match form.position(*mid).trim() {
                "" => i64::try_from(index).unwrap_or(0) + 1,
                raw => match raw.parse::<i64>() {
                    Ok(p) if (1..=1000).contains(&p) => p,
                    _ => {
                        errors.push(
                            "positions",
                            "Order numbers are whole numbers from 1 to 1000.",
                        );
                        continue;
                    }
                },
            };
            members.push((*mid, weight, position));
        }
        if members.is_empty()
            && errors.get("weights").is_none()
            && errors.get("positions").is_none()
        {
            errors.push("members", "Pick at least one MID.");
        }
        members.sort_by_key(|(_, _, position)| *position);
        match kind {
            Some(kind) if errors.is_empty() => Ok(Self {
                name: name.to_owned(),
                kind,
                members,
            }),
            _ => Err(dedup(errors)),
        }
    }
}

/// One message per field is enough when several rows share it.
fn dedup(errors: FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::default();
    for e in errors.iter() {
        if out.get(e.field).is_none() {
            out.push(e.field, e.message.clone());
        }
    }
    out
}
