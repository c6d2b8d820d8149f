//! Recycle billing profiles (SPEC 4.2): the validator every save and every live check runs, the
//! schedule preview, and saving under the database's one-profile-per-MID constraint (R-RB-1).

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Unexpected, field_error, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::Db;
use crate::domain::FieldErrors;
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::RecycleProfileId;
use crate::domain::recycle::StoredProfile;
use crate::domain::recycle::{BlockMerchant, MidFacts, RecycleDraft, RecycleProfile, validate};

#[derive(Debug, thiserror::Error)]
pub enum RecycleError {
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error("No such profile.")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(RecycleError {
    Invalid(_) => Invalid, "invalid",
    NotFound => NotFound, "recycle_profile_not_found",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<crate::db::DbError> for RecycleError {
    fn from(e: crate::db::DbError) -> Self {
        RecycleError::Unexpected(e.into())
    }
}

fn snapshot(p: &RecycleProfile) -> Value {
    let merchant = |m: &BlockMerchant| match m {
        BlockMerchant::Original => Value::String("original".into()),
        BlockMerchant::Mid(id) => json!(id.0),
    };
    json!({
        "name": p.name,
        "bill_on_fridays": p.bill_on_fridays,
        "reduction_type": p.reduction_type.key(),
        "currency": p.currency.code(),
        "minimum_price_minor": p.minimum_price.amount().get(),
        "apply_to": p.apply_to.iter().map(|m| m.0).collect::<Vec<_>>(),
        "blocks": p.blocks.iter().map(merchant).collect::<Vec<_>>(),
        "attempts": p.attempts.iter().enumerate().map(|(i, a)| json!({
            "number": i + 1, "skip": a.skip, "reduction": a.reduction.stored(), "wait_days": a.wait_days,
        })).collect::<Vec<_>>(),
    })
}

/// Recycle billing (decline salvage) profiles.
#[derive(Clone)]
pub struct RecycleService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl RecycleService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

impl RecycleService {
    /// Today's date (UTC), where the schedule preview starts by default.
    pub fn today(&self) -> chrono::NaiveDate {
        self.clock.now().date_naive()
    }
}

impl RecycleService {
    pub async fn list(&self) -> Result<Vec<StoredProfile>, Unexpected> {
        Ok(db::recycle::all(&self.db).await?)
    }

    pub async fn find(&self, id: RecycleProfileId) -> Result<StoredProfile, RecycleError> {
        db::recycle::find(&self.db, id)
            .await?
            .ok_or(RecycleError::NotFound)
    }

    /// Every MID with the profile that holds it, leaving out `editing` itself.
    pub async fn mid_facts(
        &self,
        editing: Option<RecycleProfileId>,
    ) -> Result<Vec<MidFacts>, Unexpected> {
        let held = db::recycle::memberships(&self.db).await?;
        let mids = db::mids::all(&self.db).await?;
        Ok(mids
            .into_iter()
            .map(|m| MidFacts {
                held_by: held
                    .iter()
                    .find(|h| h.mid == m.id && Some(h.profile) != editing)
                    .map(|h| (h.profile, h.profile_name.clone())),
                id: m.id,
                title: m.title,
                provider: m.provider,
            })
            .collect())
    }

    /// Checks `draft` against every rule with the MIDs as they are now: live validation and
    /// every save run this. `editing` is the profile being edited, whose own MIDs are no conflict.
    pub async fn check(
        &self,
        draft: &RecycleDraft,
        editing: Option<RecycleProfileId>,
    ) -> Result<Result<RecycleProfile, FieldErrors>, Unexpected> {
        let facts = self.mid_facts(editing).await?;
        Ok(validate(draft, &facts))
    }

    pub async fn create(
        &self,
        actor: &Actor,
        draft: &RecycleDraft,
    ) -> Result<RecycleProfileId, RecycleError> {
        let profile = self
            .check(draft, None)
            .await?
            .map_err(RecycleError::Invalid)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let id = match db::recycle::insert(&mut tx, &profile, now).await {
            Ok(id) => id,
            Err(e)
                if e.is_unique(db::Constraint::RecycleMidMembership)
                    || e.is_unique(db::Constraint::RecycleProfileName) =>
            {
                drop(tx);
                return Err(self.explain_conflict(draft, None).await);
            }
            Err(e) => return Err(e.into()),
        };
        let event = NewEvent {
            kind: EventKind::RecycleProfileCreated,
            subject: Subject::RecycleProfile(id),
            change: Change::Created(snapshot(&profile)),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    pub async fn update(
        &self,
        actor: &Actor,
        id: RecycleProfileId,
        draft: &RecycleDraft,
    ) -> Result<(), RecycleError> {
        let before = self.find(id).await?;
        let profile = self
            .check(draft, Some(id))
            .await?
            .map_err(RecycleError::Invalid)?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        match db::recycle::update(&mut tx, id, &profile, now).await {
            Ok(()) => {}
            Err(e)
                if e.is_unique(db::Constraint::RecycleMidMembership)
                    || e.is_unique(db::Constraint::RecycleProfileName) =>
            {
                drop(tx);
                return Err(self.explain_conflict(draft, Some(id)).await);
            }
            Err(e) => return Err(e.into()),
        }
        let event = NewEvent {
            kind: EventKind::RecycleProfileUpdated,
            subject: Subject::RecycleProfile(id),
            change: Change::Updated {
                before: snapshot(&before.profile),
                after: snapshot(&profile),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    /// A unique index refused the save: another profile took a MID or the name meanwhile. The
    /// validator, run again now, names the conflict by its field.
    async fn explain_conflict(
        &self,
        draft: &RecycleDraft,
        editing: Option<RecycleProfileId>,
    ) -> RecycleError {
        match self.check(draft, editing).await {
            Ok(Err(errors)) => RecycleError::Invalid(errors),
            Ok(Ok(_)) => RecycleError::Invalid(field_error(
                "name",
                "Another profile already has this name.",
            )),
            Err(e) => RecycleError::Unexpected(e),
        }
    }

    pub async fn delete(&self, actor: &Actor, id: RecycleProfileId) -> Result<(), RecycleError> {
        let before = self.find(id).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        db::recycle::delete(&mut tx, id).await?;
        let event = NewEvent {
            kind: EventKind::RecycleProfileDeleted,
            subject: Subject::RecycleProfile(id),
            change: Change::Deleted(snapshot(&before.profile)),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }
}
