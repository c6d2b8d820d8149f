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
use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::name::matches_search;
use crate::domain::recycle::StoredProfile;
use crate::domain::recycle::{
    BlockMerchant, MID_GONE, MidFacts, RecycleDraft, RecycleProfile, validate,
};

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

/// A MID moving into a profile from the one that holds it (R-RB-1 holds throughout: it leaves
/// one profile as it joins the other), as checked against every rule for both.
#[derive(Debug, Clone)]
pub struct MidMove {
    pub mid: MidId,
    pub mid_title: String,
    /// The profile it leaves, as it was; `None` when no profile holds it.
    pub from: Option<StoredProfile>,
    /// The profile it joins, as it was.
    pub to: StoredProfile,
    from_after: Option<RecycleProfile>,
    to_after: RecycleProfile,
}

/// The event of a profile saved as `after`.
fn updated(before: &StoredProfile, after: &RecycleProfile) -> NewEvent {
    NewEvent {
        kind: EventKind::RecycleProfileUpdated,
        subject: Subject::RecycleProfile(before.id),
        change: Change::Updated {
            before: snapshot(&before.profile),
            after: snapshot(after),
        },
    }
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

    /// The profiles whose name contains `name` (any case) and, with `mid`, that apply to that
    /// MID or send a block of attempts to it.
    pub async fn search(
        &self,
        name: &str,
        mid: Option<MidId>,
    ) -> Result<Vec<StoredProfile>, Unexpected> {
        Ok(self
            .list()
            .await?
            .into_iter()
            .filter(|s| matches_search(&s.profile.name, name))
            .filter(|s| {
                mid.is_none_or(|m| {
                    s.profile.apply_to.contains(&m)
                        || s.profile.blocks.contains(&BlockMerchant::Mid(m))
                })
            })
            .collect())
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

    /// What moving `mid` into profile `to` would do. Refused, with a message per reason, when the
    /// MID cannot join `to` (R-RB-1, R-RB-2: every rule `to` is saved under) or when the profile
    /// it leaves would break a rule, such as keeping at least one MID (R-RB-5).
    pub async fn plan_move(
        &self,
        mid: MidId,
        to: RecycleProfileId,
    ) -> Result<MidMove, RecycleError> {
        let target = self.find(to).await?;
        let mut facts = self.mid_facts(Some(to)).await?;
        let Some(fact) = facts.iter_mut().find(|f| f.id == mid) else {
            return Err(RecycleError::Invalid(field_error("mids", MID_GONE)));
        };
        let mid_title = fact.title.clone();
        if target.profile.apply_to.contains(&mid) {
            return Err(RecycleError::Invalid(field_error(
                "mids",
                format!("“{mid_title}” is already in “{}”.", target.profile.name),
            )));
        }
        // The MID is free for `to` once it has left the profile that holds it.
        let holder = fact.held_by.take();
        let mut errors = FieldErrors::default();
        let mut joined = RecycleDraft::from(&target.profile);
        joined.apply_to.push(mid);
        let to_after = validate(&joined, &facts).map_err(|broken| {
            for e in broken.iter() {
                errors.push("mids", format!("“{}”: {}", target.profile.name, e.message));
            }
        });
        let (from, from_after) = match holder {
            None => (None, None),
            Some((source_id, _)) => {
                let source = self.find(source_id).await?;
                let mut left = RecycleDraft::from(&source.profile);
                left.apply_to.retain(|m| *m != mid);
                let after = if left.apply_to.is_empty() {
                    errors.push("mids", format!(
                        "“{}” would have no MID left, and a profile applies to at least one: add another MID to it first, or delete it.",
                        source.profile.name
                    ));
                    None
                } else {
                    let facts = self.mid_facts(Some(source_id)).await?;
                    validate(&left, &facts)
                        .map_err(|broken| {
                            for e in broken.iter() {
                                errors.push(
                                    "mids",
                                    format!("“{}”: {}", source.profile.name, e.message),
                                );
                            }
                        })
                        .ok()
                };
                (Some(source), after)
            }
        };
        match (to_after, errors.is_empty()) {
            (Ok(to_after), true) => Ok(MidMove {
                mid,
                mid_title,
                from,
                from_after,
                to: target,
                to_after,
            }),
            _ => Err(RecycleError::Invalid(errors)),
        }
    }

    /// Moves `mid` into profile `to`, out of the profile that holds it, in one transaction
    /// with an event for each profile (see [`Self::plan_move`] for what is refused).
    pub async fn move_mid(
        &self,
        actor: &Actor,
        mid: MidId,
        to: RecycleProfileId,
    ) -> Result<MidMove, RecycleError> {
        let plan = self.plan_move(mid, to).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        // The profile it leaves first, so the MID is free when the other takes it.
        let mut sides: Vec<(&StoredProfile, &RecycleProfile)> = Vec::new();
        if let (Some(from), Some(after)) = (&plan.from, &plan.from_after) {
            sides.push((from, after));
        }
        sides.push((&plan.to, &plan.to_after));
        for (before, after) in &sides {
            match db::recycle::update(&mut tx, before.id, after, now).await {
                Ok(()) => {}
                Err(e)
                    if e.is_unique(db::Constraint::RecycleMidMembership)
                        || e.is_unique(db::Constraint::RecycleProfileName) =>
                {
                    // Another save claimed the MID meanwhile: the plan, made again, names it.
                    drop(tx);
                    return Err(match self.plan_move(mid, to).await {
                        Err(e) => e,
                        Ok(_) => RecycleError::Invalid(field_error(
                            "mids",
                            "Another change to these profiles came first: try again.",
                        )),
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
        if let (Some(from), Some(after)) = (&plan.from, &plan.from_after) {
            db::events::insert(&mut tx, actor, &updated(from, after), now).await?;
        }
        let joined = updated(&plan.to, &plan.to_after);
        db::events::insert_and_commit(tx, actor, &joined, now).await?;
        Ok(plan)
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
