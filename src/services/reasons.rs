//! The merchant's refund and cancellation reasons: the lists agents pick from.

use std::sync::Arc;

use serde_json::json;

use super::{Unexpected, field_error, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::Db;
use crate::domain::FieldErrors;
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::ReasonId;
use crate::domain::reason::{self, Reason, ReasonKind};

#[derive(Debug, thiserror::Error)]
pub enum ReasonError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("No such reason.")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(ReasonError {
    Invalid(_) => Invalid, "invalid",
    NotFound => NotFound, "reason_not_found",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<db::DbError> for ReasonError {
    fn from(e: db::DbError) -> Self {
        ReasonError::Unexpected(e.into())
    }
}

fn taken(label: &str) -> ReasonError {
    ReasonError::Invalid(field_error(
        "label",
        format!("\"{label}\" is already in this list."),
    ))
}

#[derive(Clone)]
pub struct ReasonService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl ReasonService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// Both lists, archived reasons after the active ones (the settings page).
    pub async fn all(&self) -> Result<Vec<Reason>, Unexpected> {
        Ok(db::reasons::all(&self.db).await?)
    }

    /// What agents may pick from.
    pub async fn active(&self, kind: ReasonKind) -> Result<Vec<Reason>, Unexpected> {
        Ok(db::reasons::active(&self.db, kind).await?)
    }

    pub async fn create(
        &self,
        actor: &Actor,
        kind: ReasonKind,
        label: &str,
    ) -> Result<ReasonId, ReasonError> {
        let label = reason::parse_label(label)
            .map_err(|e| ReasonError::Invalid(field_error("label", e.to_string())))?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let id = match db::reasons::insert(&mut tx, kind, &label, now).await {
            Ok(id) => id,
            Err(e) if e.is_unique(db::Constraint::ReasonLabel) => return Err(taken(&label)),
            Err(e) => return Err(e.into()),
        };
        let event = NewEvent {
            kind: EventKind::ReasonCreated,
            subject: Subject::Reason(id),
            change: Change::Created(json!({ "list": kind.key(), "label": label })),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    pub async fn rename(
        &self,
        actor: &Actor,
        id: ReasonId,
        label: &str,
    ) -> Result<(), ReasonError> {
        let label = reason::parse_label(label)
            .map_err(|e| ReasonError::Invalid(field_error("label", e.to_string())))?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::reasons::find(&mut tx, id)
            .await?
            .ok_or(ReasonError::NotFound)?;
        match db::reasons::rename(&mut tx, id, &label).await {
            Ok(_) => {}
            Err(e) if e.is_unique(db::Constraint::ReasonLabel) => return Err(taken(&label)),
            Err(e) => return Err(e.into()),
        }
        let event = NewEvent {
            kind: EventKind::ReasonUpdated,
            subject: Subject::Reason(id),
            change: Change::Updated {
                before: json!({ "label": before.label }),
                after: json!({ "label": label }),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    /// Archives a reason (agents no longer see it) or restores it; what was recorded with it
    /// keeps its words.
    pub async fn set_archived(
        &self,
        actor: &Actor,
        id: ReasonId,
        archived: bool,
    ) -> Result<(), ReasonError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::reasons::find(&mut tx, id)
            .await?
            .ok_or(ReasonError::NotFound)?;
        db::reasons::set_archived(&mut tx, id, archived.then_some(now)).await?;
        let event = NewEvent {
            kind: if archived {
                EventKind::ReasonArchived
            } else {
                EventKind::ReasonUpdated
            },
            subject: Subject::Reason(id),
            change: Change::Updated {
                before: json!({ "label": before.label, "archived": before.archived_at.is_some() }),
                after: json!({ "label": before.label, "archived": archived }),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }
}
