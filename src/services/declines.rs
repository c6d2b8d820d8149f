//! Decline message mapping, and the one `classify` every later feature asks (R-GW-6).

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Unexpected, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::Db;
use crate::db::decline_mappings::MappingWrite;
use crate::domain::FieldErrors;
use crate::domain::decline::{
    DeclineClass, DeclineMapping, GatewayResponse, MappingDraft, classify,
};
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::MappingId;
use crate::domain::provider::Provider;

#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("No such mapping.")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(MappingError {
    Invalid(_) => Invalid, "invalid",
    NotFound => NotFound, "decline_mapping_not_found",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<crate::db::DbError> for MappingError {
    fn from(e: crate::db::DbError) -> Self {
        MappingError::Unexpected(e.into())
    }
}

/// The row to write for a draft.
fn write(draft: &MappingDraft) -> MappingWrite<'_> {
    MappingWrite {
        provider: draft.provider,
        code: &draft.code,
        text: &draft.text,
        class: draft.class,
    }
}

fn snapshot(provider: Option<Provider>, code: &str, text: &str, class: DeclineClass) -> Value {
    json!({ "provider": provider.map_or("any", Provider::key), "code": code, "text": text, "class": class.key() })
}

/// Decline message mapping and classification.
#[derive(Clone)]
pub struct DeclineService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl DeclineService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

impl DeclineService {
    pub async fn list(&self) -> Result<Vec<DeclineMapping>, Unexpected> {
        Ok(db::decline_mappings::all(&self.db).await?)
    }

    /// Soft or hard for a gateway response: the merchant's mappings, then the built-in table.
    pub async fn classify(
        &self,
        response: &GatewayResponse<'_>,
    ) -> Result<DeclineClass, Unexpected> {
        Ok(classify(&self.list().await?, response))
    }

    pub async fn create(
        &self,
        actor: &Actor,
        draft: &MappingDraft,
    ) -> Result<MappingId, MappingError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let id = db::decline_mappings::insert(&mut tx, &write(draft), now).await?;
        let after = snapshot(draft.provider, &draft.code, &draft.text, draft.class);
        let event = NewEvent {
            kind: EventKind::MappingCreated,
            subject: Subject::DeclineMapping(id),
            change: Change::Created(after),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: MappingId,
        draft: &MappingDraft,
    ) -> Result<DeclineMapping, MappingError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::decline_mappings::find(&mut tx, id)
            .await?
            .ok_or(MappingError::NotFound)?;
        db::decline_mappings::update(&mut tx, id, &write(draft)).await?;
        let after = db::decline_mappings::find(&mut tx, id)
            .await?
            .ok_or(MappingError::NotFound)?;
        let event = NewEvent {
            kind: EventKind::MappingUpdated,
            subject: Subject::DeclineMapping(id),
            change: Change::Updated {
                before: snapshot(before.provider, &before.code, &before.text, before.class),
                after: snapshot(after.provider, &after.code, &after.text, after.class),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(after)
    }

    pub async fn delete(&self, actor: &Actor, id: MappingId) -> Result<(), MappingError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::decline_mappings::find(&mut tx, id)
            .await?
            .ok_or(MappingError::NotFound)?;
        db::decline_mappings::delete(&mut tx, id).await?;
        let event = NewEvent {
            kind: EventKind::MappingDeleted,
            subject: Subject::DeclineMapping(id),
            change: Change::Deleted(snapshot(
                before.provider,
                &before.code,
                &before.text,
                before.class,
            )),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }
}

/// The decline class of a gateway's answer, `None` when it approved: the merchant's mappings,
/// then the built-in table. The one place the sale, test-sale and reversal paths classify.
pub(super) async fn class_of(
    db: &Db,
    reply: &crate::gateway::Reply,
    provider: Provider,
) -> Result<Option<DeclineClass>, Unexpected> {
    if reply.approved() {
        return Ok(None);
    }
    let mappings = db::decline_mappings::all(db).await?;
    Ok(Some(classify(&mappings, &reply.response(provider))))
}
