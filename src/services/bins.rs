//! The merchant's BIN rows (Konnektive's "PrePaid BIN Mapping"), and a card's brand and type
//! with them applied, so R-MID-3 is checked before a gateway is called.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Unexpected, field_error, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::Db;
use crate::domain::FieldErrors;
use crate::domain::card::{Bin, BinNumber, BinRange, BinRangeDraft, CardNumber};
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::BinRangeId;
use crate::domain::page::{Page, PageRequest};

#[derive(Debug, thiserror::Error)]
pub enum BinRangeError {
    #[error("{0}")]
    Invalid(FieldErrors),
    /// Another request added the BIN between the check and the save.
    #[error("This BIN is already mapped.")]
    Taken,
    #[error("No such BIN mapping.")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(BinRangeError {
    Invalid(_) => Invalid, "invalid",
    Taken => Invalid, "bin_taken",
    NotFound => NotFound, "bin_range_not_found",
    Unexpected(_) => Unexpected, "unexpected",
});

impl BinRangeError {
    /// The messages the add form shows by its fields, when this error is about the input.
    pub fn field_errors(&self) -> Option<FieldErrors> {
        match self {
            BinRangeError::Invalid(errors) => Some(errors.clone()),
            BinRangeError::Taken => Some(field_error("bin", self.to_string())),
            BinRangeError::NotFound | BinRangeError::Unexpected(_) => None,
        }
    }
}

impl From<db::DbError> for BinRangeError {
    fn from(e: db::DbError) -> Self {
        BinRangeError::Unexpected(e.into())
    }
}

fn snapshot(bin: &BinNumber, draft_type: &str, note: &str) -> Value {
    json!({ "bin": bin.as_str(), "card_type": draft_type, "note": note })
}

/// The merchant's BIN rows.
#[derive(Clone)]
pub struct BinService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl BinService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

impl BinService {
    /// A page of rows by BIN, those in `range`: a prefix's ([`BinNumber::prefix_range`]) or
    /// every BIN ([`BinNumber::full_range`]).
    pub async fn list(
        &self,
        range: (&BinNumber, &BinNumber),
        page: PageRequest,
    ) -> Result<Page<BinRange>, Unexpected> {
        Ok(db::bins::list(&self.db, range, page).await?)
    }

    pub async fn find(&self, id: BinRangeId) -> Result<BinRange, BinRangeError> {
        db::bins::find(&self.db, id)
            .await?
            .ok_or(BinRangeError::NotFound)
    }

    /// A card's brand and type: its BIN from the built-in table, with the merchant's row for
    /// its first 6 digits, if any, deciding the type (R-MID-3).
    pub async fn bin_of(&self, card: &CardNumber) -> Result<Bin, Unexpected> {
        let mapped = db::bins::card_type_of(&self.db, card.first6()).await?;
        Ok(card.bin().with_mapping(mapped))
    }

    pub async fn create(
        &self,
        actor: &Actor,
        draft: &BinRangeDraft,
    ) -> Result<BinRangeId, BinRangeError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if let Some(existing) = db::bins::find_by_bin(&mut tx, &draft.bin).await? {
            return Err(BinRangeError::Invalid(field_error(
                "bin",
                format!(
                    "BIN {} is already mapped as {}; remove that row first to change it.",
                    existing.bin,
                    existing.card_type.key()
                ),
            )));
        }
        let id = match db::bins::insert(&mut tx, draft, now).await {
            Ok(id) => id,
            Err(e) if e.is_unique(db::Constraint::BinRangeBin) => {
                return Err(BinRangeError::Taken);
            }
            Err(e) => return Err(e.into()),
        };
        let event = NewEvent {
            kind: EventKind::BinRangeCreated,
            subject: Subject::BinRange(id),
            change: Change::Created(snapshot(&draft.bin, draft.card_type.key(), &draft.note)),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    pub async fn delete(&self, actor: &Actor, id: BinRangeId) -> Result<(), BinRangeError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::bins::find(&mut tx, id)
            .await?
            .ok_or(BinRangeError::NotFound)?;
        db::bins::delete(&mut tx, id).await?;
        let event = NewEvent {
            kind: EventKind::BinRangeDeleted,
            subject: Subject::BinRange(id),
            change: Change::Deleted(snapshot(&before.bin, before.card_type.key(), &before.note)),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }
}
