//! ATRI gateway profiles and cascade profiles (R-GW-3).

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Unexpected, field_error, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::Db;
use crate::domain::FieldErrors;
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::ProfileId;
use crate::domain::routing::{ProfileDraft, ProfileKind, RoutingProfile};

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("No such profile.")]
    NotFound,
    /// An ATRI profile a campaign sends its new sales through.
    #[error("Campaign {} sends its new sales through this profile; pick another route there first.", .campaigns.join(", "))]
    InUse { campaigns: Vec<String> },
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(ProfileError {
    Invalid(_) => Invalid, "invalid",
    NotFound => NotFound, "routing_profile_not_found",
    InUse { .. } => Conflict, "routing_profile_in_use",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<crate::db::DbError> for ProfileError {
    fn from(e: crate::db::DbError) -> Self {
        ProfileError::Unexpected(e.into())
    }
}

fn snapshot(name: &str, kind: ProfileKind, members: &[(String, i64, i64)]) -> Value {
    let members: Vec<Value> = members
        .iter()
        .map(|(t, w, p)| json!({ "mid": t, "weight": w, "position": p }))
        .collect();
    json!({ "name": name, "kind": kind.key(), "mids": members })
}

fn profile_snapshot(p: &RoutingProfile) -> Value {
    let members: Vec<(String, i64, i64)> = p
        .members
        .iter()
        .map(|m| (m.mid_title.clone(), m.weight, m.position))
        .collect();
    snapshot(&p.name, p.kind, &members)
}

/// ATRI and cascade routing profiles.
#[derive(Clone)]
pub struct RoutingService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl RoutingService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

impl RoutingService {
    pub async fn list(&self) -> Result<Vec<RoutingProfile>, Unexpected> {
        Ok(db::profiles::all(&self.db).await?)
    }

    pub async fn find(&self, id: ProfileId) -> Result<RoutingProfile, ProfileError> {
        db::profiles::find(&self.db, id)
            .await?
            .ok_or(ProfileError::NotFound)
    }

    /// R-GW-3: salvage-only MIDs never take new sales, so never sit in an ATRI profile. Every
    /// member must be a MID that exists.
    async fn check_profile(
        &self,
        draft: &ProfileDraft,
    ) -> Result<Vec<(String, i64, i64)>, ProfileError> {
        let mids = db::mids::all(&self.db).await?;
        let mut errors = FieldErrors::default();
        let mut described = Vec::new();
        for (mid_id, weight, position) in &draft.members {
            match mids.iter().find(|m| m.id == *mid_id) {
                None => errors.push("members", "A chosen MID no longer exists; reload the page."),
                Some(mid) if draft.kind == ProfileKind::Atri && mid.provider.is_salvage_only() => errors.push(
                    "members",
                    format!("“{}” is a {} MID: salvage-only MIDs cannot take new sales, so they cannot be in an ATRI profile.", mid.title, mid.provider.label()),
                ),
                Some(mid) => described.push((mid.title.clone(), *weight, *position)),
            }
        }
        if errors.is_empty() {
            Ok(described)
        } else {
            Err(ProfileError::Invalid(errors))
        }
    }

    pub async fn create(
        &self,
        actor: &Actor,
        draft: &ProfileDraft,
    ) -> Result<ProfileId, ProfileError> {
        let described = self.check_profile(draft).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let id = match db::profiles::insert(&mut tx, draft, now).await {
            Ok(id) => id,
            Err(e) if e.is_unique(db::Constraint::RoutingProfileName) => {
                return Err(ProfileError::Invalid(field_error(
                    "name",
                    "Another profile already has this name.",
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let event = NewEvent {
            kind: EventKind::ProfileCreated,
            subject: Subject::RoutingProfile(id),
            change: Change::Created(snapshot(&draft.name, draft.kind, &described)),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: ProfileId,
        draft: &ProfileDraft,
    ) -> Result<(), ProfileError> {
        let before = self.find(id).await?;
        if before.kind != draft.kind {
            return Err(ProfileError::Invalid(field_error(
                "kind",
                "A profile keeps its kind; create a new one instead.",
            )));
        }
        let described = self.check_profile(draft).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        match db::profiles::update(&mut tx, id, draft, now).await {
            Ok(()) => {}
            Err(e) if e.is_unique(db::Constraint::RoutingProfileName) => {
                return Err(ProfileError::Invalid(field_error(
                    "name",
                    "Another profile already has this name.",
                )));
            }
            Err(e) => return Err(e.into()),
        }
        let event = NewEvent {
            kind: EventKind::ProfileUpdated,
            subject: Subject::RoutingProfile(id),
            change: Change::Updated {
                before: profile_snapshot(&before),
                after: snapshot(&draft.name, draft.kind, &described),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    /// Deletes a profile; MIDs that used it as their direct cascade profile lose that setting.
    pub async fn delete(&self, actor: &Actor, id: ProfileId) -> Result<(), ProfileError> {
        let before = self.find(id).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let campaigns = db::catalogue::campaigns_routed_to(
            &mut tx,
            crate::domain::catalogue::SalesRoute::Atri(id),
        )
        .await?;
        if !campaigns.is_empty() {
            return Err(ProfileError::InUse { campaigns });
        }
        db::profiles::delete(&mut tx, id).await?;
        let event = NewEvent {
            kind: EventKind::ProfileDeleted,
            subject: Subject::RoutingProfile(id),
            change: Change::Deleted(profile_snapshot(&before)),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }
}
