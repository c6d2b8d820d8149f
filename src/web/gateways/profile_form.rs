//! The routing-profile form as typed, and its conversion into a domain draft.

use crate::domain::FieldErrors;
use crate::domain::ids::MidId;
use crate::domain::name::{Name, Named};
use crate::domain::routing::{ProfileDraft, ProfileKind};

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

impl ProfileForm {
    /// `offered` lists the MIDs the form showed; anything else posted is ignored.
    pub fn draft(&self, offered: &[MidId]) -> Result<ProfileDraft, FieldErrors> {
        let form = self;
        let mut errors = FieldErrors::default();
        let name = errors.take("name", Name::parse(&form.name, Named::Profile));
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
        match (name, kind) {
            (Some(name), Some(kind)) if errors.is_empty() => Ok(ProfileDraft {
                name: name.into_string(),
                kind,
                members,
            }),
            // One message per field is enough when several rows share it.
            _ => Err(FieldErrors::default().and_later(errors)),
        }
    }
}
