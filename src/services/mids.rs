//! MIDs and their credentials (R-MID-1, R-GW-1, R-GW-2, R-GW-4).

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::{Unexpected, field_error, service_error};
use crate::clock::Clock;
use crate::crypto::SecretCipher;
use crate::db;
use crate::db::Db;
use crate::domain::FieldErrors;
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::MidId;
use crate::domain::mid::{Mid, MidDraft, MidQuery, MidUsage, mask};
use crate::domain::page::{Page, PageRequest};
use crate::domain::provider::{CredentialField, Provider};
use crate::domain::routing::ProfileKind;

#[derive(Debug, thiserror::Error)]
pub enum MidError {
    #[error("{0}")]
    Invalid(FieldErrors),
    /// Another MID took the title between the check and the save.
    #[error("Another MID already has this title.")]
    TitleTaken,
    /// R-GW-4: another MID took `cascadeAll` between the check and the save.
    #[error("Only one MID may have cascadeAll on; another MID has just taken it.")]
    CascadeAllTaken,
    #[error("No such MID.")]
    NotFound,
    #[error("This MID is used by {}; remove it there first.", list(.by))]
    InUse { by: Vec<MidUsage> },
    /// R-TG-3: only the test gateway settles on request; a real gateway settles on its own.
    #[error("Only a test MID can be settled by hand; a real gateway settles on its own schedule.")]
    NotTestMid,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(MidError {
    Invalid(_) => Invalid, "invalid",
    TitleTaken => Invalid, "mid_title_taken",
    CascadeAllTaken => Invalid, "mid_cascade_all_taken",
    NotFound => NotFound, "mid_not_found",
    InUse { .. } => Conflict, "mid_in_use",
    NotTestMid => Conflict, "mid_not_test",
    Unexpected(_) => Unexpected, "unexpected",
});

impl MidError {
    /// The messages a form shows by its fields, when this error is about the input.
    pub fn field_errors(&self) -> Option<FieldErrors> {
        match self {
            MidError::Invalid(errors) => Some(errors.clone()),
            MidError::TitleTaken => Some(field_error("title", self.to_string())),
            MidError::CascadeAllTaken => Some(field_error("cascade_all", self.to_string())),
            MidError::NotFound
            | MidError::InUse { .. }
            | MidError::NotTestMid
            | MidError::Unexpected(_) => None,
        }
    }
}

fn list(usages: &[MidUsage]) -> String {
    usages
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl From<crate::db::DbError> for MidError {
    fn from(e: crate::db::DbError) -> Self {
        MidError::Unexpected(e.into())
    }
}

/// The associated data binding a credential to its MID and field.
fn context(id: MidId, field: &str) -> String {
    format!("mid:{id}:{field}")
}

/// What the event log keeps of a MID: settings, and for credentials only which were set.
fn snapshot(mid: &Mid, masks: &[(&'static str, String)]) -> Value {
    let credentials: Map<String, Value> = masks
        .iter()
        .map(|(k, m)| ((*k).to_owned(), Value::String(m.clone())))
        .collect();
    let mut snapshot = json!({
        "title": mid.title,
        "provider": mid.provider.key(),
        "enabled": mid.enabled,
        "cs_phone": mid.cs_phone,
        "cs_email": mid.cs_email,
        "descriptor": mid.descriptor,
        "currency": mid.currency.code(),
        "monthly_cap_minor": mid.monthly_cap.map(|cap| cap.amount().get()),
        "block_prepaid": mid.block_prepaid,
        "block_debit": mid.block_debit,
        "accepts": mid.accepts.labels(),
        "expiry_days": mid.expiry_days.map(|d| d.get()),
        "cascade_all": mid.cascade_all,
        "cascade_profile_id": mid.cascade_profile_id.map(|p| p.0),
        "credentials": credentials,
    });
    // Only the test gateway has these settings; other MIDs keep the defaults, unshown.
    if mid.provider == Provider::Test
        && let Value::Object(fields) = &mut snapshot
    {
        fields.insert(
            "settlement_delay_hours".to_owned(),
            json!(mid.settlement_delay.num_hours()),
        );
        fields.insert(
            "latency_ms".to_owned(),
            json!(u64::try_from(mid.latency.as_millis()).unwrap_or(u64::MAX)),
        );
    }
    snapshot
}

const CASCADE_ALL_TAKEN: &str = "Only one MID may have cascadeAll on";

/// MIDs and their encrypted credentials.
#[derive(Clone)]
pub struct MidService {
    db: Db,
    clock: Arc<dyn Clock>,
    cipher: Arc<SecretCipher>,
}

impl MidService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>, cipher: Arc<SecretCipher>) -> Self {
        Self { db, clock, cipher }
    }
}

impl MidService {
    pub async fn list(&self, query: &MidQuery, page: PageRequest) -> Result<Page<Mid>, Unexpected> {
        Ok(db::mids::list(&self.db, query, page).await?)
    }

    pub async fn all(&self) -> Result<Vec<Mid>, Unexpected> {
        Ok(db::mids::all(&self.db).await?)
    }

    pub async fn find(&self, id: MidId) -> Result<Mid, MidError> {
        db::mids::find(&self.db, id)
            .await?
            .ok_or(MidError::NotFound)
    }

    /// Each stored credential of a MID as pages show it: identifiers in clear, secrets masked
    /// (`CredentialField::shown`). A value that fails to decrypt is an error.
    pub async fn credential_masks(
        &self,
        id: MidId,
    ) -> Result<Vec<(&'static str, String)>, Unexpected> {
        let mid = db::mids::find(&self.db, id).await?;
        let fields: &[CredentialField] = mid.map_or(&[][..], |m| m.provider.credential_fields());
        let rows = db::mids::credentials(&self.db, id).await?;
        let mut masks = Vec::new();
        for f in fields {
            if let Some(row) = rows.iter().find(|r| r.field == f.key) {
                let plain = self.cipher.open(&row.sealed(), &context(id, f.key))?;
                masks.push((f.key, f.shown(&plain)));
            }
        }
        Ok(masks)
    }

    /// Checks that need the database: unique title, a single `cascadeAll`, a cascade profile
    /// that exists and is one.
    async fn check_mid(
        &self,
        tx: &mut db::Tx,
        draft: &MidDraft,
        id: Option<MidId>,
    ) -> Result<(), MidError> {
        let mut errors = FieldErrors::default();
        if db::mids::title_taken(&mut *tx, &draft.title, id).await? {
            errors.push("title", "Another MID already has this title.");
        }
        if draft.cascade_all
            && let Some(holder) = db::mids::cascade_all_holder(&mut *tx).await?
            && Some(MidId(holder.id)) != id
        {
            errors.push(
                "cascade_all",
                format!(
                    "{CASCADE_ALL_TAKEN}; “{}” has it. Turn it off there first.",
                    holder.title
                ),
            );
        }
        if let Some(profile) = draft.cascade_profile_id
            && db::profiles::kind_of(&mut *tx, profile).await? != Some(ProfileKind::Cascade)
        {
            errors.push(
                "cascade_profile_id",
                "Pick a cascade profile from the list.",
            );
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(MidError::Invalid(errors))
        }
    }

    async fn store_credentials(
        &self,
        tx: &mut db::Tx,
        id: MidId,
        draft: &MidDraft,
    ) -> Result<(), MidError> {
        for (field, value) in &draft.credentials {
            let sealed = self
                .cipher
                .seal(value, &context(id, field))
                .map_err(Unexpected::from)?;
            db::mids::put_credential(&mut *tx, id, field, &sealed).await?;
        }
        Ok(())
    }

    /// The credentials typed in this draft, for the event log: identifiers as typed, secrets
    /// masked and marked as set.
    fn draft_masks(draft: &MidDraft) -> Vec<(&'static str, String)> {
        let fields = draft.provider.credential_fields();
        draft
            .credentials
            .iter()
            .map(|(k, v)| match fields.iter().find(|f| f.key == *k) {
                Some(f) if !f.secret => (*k, v.clone()),
                _ => (*k, format!("{} (set)", mask(v))),
            })
            .collect()
    }

    pub async fn create(&self, actor: &Actor, draft: &MidDraft) -> Result<MidId, MidError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        self.check_mid(&mut tx, draft, None).await?;
        let id = match db::mids::insert(&mut tx, draft, now).await {
            Ok(id) => id,
            Err(e @ db::DbError::Unique { .. }) => return Err(Self::unique_conflict(e)),
            Err(e) => return Err(e.into()),
        };
        self.store_credentials(&mut tx, id, draft).await?;
        let mid = db::mids::find(&mut tx, id)
            .await?
            .ok_or(MidError::NotFound)?;
        let event = NewEvent {
            kind: EventKind::MidCreated,
            subject: Subject::Mid(id),
            change: Change::Created(snapshot(&mid, &Self::draft_masks(draft))),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    /// Saves an edit. The provider never changes; a blank credential keeps the stored one.
    pub async fn update(&self, actor: &Actor, id: MidId, draft: &MidDraft) -> Result<(), MidError> {
        let before_masks = self.credential_masks(id).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::mids::find(&mut tx, id)
            .await?
            .ok_or(MidError::NotFound)?;
        if before.provider != draft.provider {
            return Err(MidError::Invalid(field_error(
                "provider",
                "A MID keeps its gateway; add a new MID for another one.",
            )));
        }
        self.check_mid(&mut tx, draft, Some(id)).await?;
        if draft.provider.is_salvage_only()
            && let Some(profile) = db::profiles::mid_in_atri(&mut tx, id).await?
        {
            return Err(MidError::Invalid(field_error(
                "provider",
                format!("This MID is in the ATRI profile “{profile}”."),
            )));
        }
        match db::mids::update(&mut tx, id, draft, now).await {
            Ok(()) => {}
            Err(e @ db::DbError::Unique { .. }) => return Err(Self::unique_conflict(e)),
            Err(e) => return Err(e.into()),
        }
        self.store_credentials(&mut tx, id, draft).await?;
        let after = db::mids::find(&mut tx, id)
            .await?
            .ok_or(MidError::NotFound)?;
        let mut after_masks = before_masks.clone();
        for (k, m) in Self::draft_masks(draft) {
            after_masks.retain(|(key, _)| *key != k);
            after_masks.push((k, m));
        }
        let event = NewEvent {
            kind: EventKind::MidUpdated,
            subject: Subject::Mid(id),
            change: Change::Updated {
                before: snapshot(&before, &before_masks),
                after: snapshot(&after, &after_masks),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    /// A unique index fired between our check and the write: another request won the race.
    fn unique_conflict(e: db::DbError) -> MidError {
        if e.is_unique(db::Constraint::MidCascadeAll) {
            MidError::CascadeAllTaken
        } else if e.is_unique(db::Constraint::MidTitle) {
            MidError::TitleTaken
        } else {
            MidError::Unexpected(e.into())
        }
    }

    pub async fn set_enabled(
        &self,
        actor: &Actor,
        id: MidId,
        enabled: bool,
    ) -> Result<Mid, MidError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::mids::find(&mut tx, id)
            .await?
            .ok_or(MidError::NotFound)?;
        if before.enabled == enabled {
            return Ok(before);
        }
        db::mids::set_enabled(&mut tx, id, enabled, now).await?;
        let after = db::mids::find(&mut tx, id)
            .await?
            .ok_or(MidError::NotFound)?;
        let kind = if enabled {
            EventKind::MidEnabled
        } else {
            EventKind::MidDisabled
        };
        let event = NewEvent {
            kind,
            subject: Subject::Mid(id),
            change: Change::Updated {
                before: json!({ "title": before.title, "enabled": before.enabled }),
                after: json!({ "title": after.title, "enabled": after.enabled }),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(after)
    }

    /// Where each MID of a page is used (one query, whatever the page's size).
    pub async fn usages_of(&self, ids: &[MidId]) -> Result<Vec<(MidId, MidUsage)>, Unexpected> {
        Ok(db::mids::usages_of(&self.db, ids).await?)
    }

    /// Where a MID is used; empty when it can be deleted.
    pub async fn usages(&self, id: MidId) -> Result<Vec<MidUsage>, Unexpected> {
        Ok(db::mids::usages(&self.db, id).await?)
    }

    pub async fn delete(&self, actor: &Actor, id: MidId) -> Result<(), MidError> {
        let usages = self.usages(id).await?;
        if !usages.is_empty() {
            return Err(MidError::InUse { by: usages });
        }
        let masks = self.credential_masks(id).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::mids::find(&mut tx, id)
            .await?
            .ok_or(MidError::NotFound)?;
        match db::mids::delete(&mut tx, id).await {
            Ok(_) => {}
            // A profile took the MID between the check and the delete.
            Err(db::DbError::ForeignKey) => {
                return Err(MidError::InUse {
                    by: self.usages(id).await?,
                });
            }
            Err(e) => return Err(e.into()),
        }
        let event = NewEvent {
            kind: EventKind::MidDeleted,
            subject: Subject::Mid(id),
            change: Change::Deleted(snapshot(&before, &masks)),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    /// A test MID, or why not: settling by hand is the test gateway's alone (R-TG-3).
    async fn test_mid(conn: impl Into<db::Conn<'_>>, id: MidId) -> Result<Mid, MidError> {
        let mid = db::mids::find(conn, id).await?.ok_or(MidError::NotFound)?;
        if mid.provider == Provider::Test {
            Ok(mid)
        } else {
            Err(MidError::NotTestMid)
        }
    }

    /// How many of a test MID's approved sales and captures have not settled yet (one count).
    pub async fn open_transactions(&self, id: MidId) -> Result<u64, MidError> {
        Self::test_mid(&self.db, id).await?;
        Ok(db::mids::open_transactions(&self.db, id, self.clock.now()).await?)
    }

    /// "Settle now" (R-TG-3): settles a test MID's open transactions at once, so they can be
    /// refunded but no longer voided; answers how many settled.
    pub async fn settle_now(&self, actor: &Actor, id: MidId) -> Result<u64, MidError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let mid = Self::test_mid(&mut tx, id).await?;
        let settled = db::mids::settle_open(&mut tx, id, now).await?;
        let event = NewEvent {
            kind: EventKind::MidSettled,
            subject: Subject::Mid(id),
            change: Change::Action(Some(json!({ "title": mid.title, "settled": settled }))),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(settled)
    }

    /// The id of the key new credentials are sealed under.
    pub fn current_key_id(&self) -> &str {
        self.cipher.current_key_id()
    }

    /// Re-encrypts every credential not under the current key; answers how many changed.
    pub async fn rotate_secrets(&self, actor: &Actor) -> Result<usize, Unexpected> {
        let now = self.clock.now();
        let current = self.cipher.current_key_id().to_owned();
        let mut tx = self.db.begin().await?;
        let rows = db::mids::all_credentials(&mut tx).await?;
        let mut changed = 0;
        for stored in rows.iter().filter(|c| c.credential.key_id != current) {
            let (id, row) = (stored.mid, &stored.credential);
            let plain = self.cipher.open(&row.sealed(), &context(id, &row.field))?;
            let sealed = self.cipher.seal(&plain, &context(id, &row.field))?;
            db::mids::put_credential(&mut tx, id, &row.field, &sealed).await?;
            changed += 1;
        }
        let event = NewEvent {
            kind: EventKind::SecretsRotated,
            subject: Subject::SecretKey(current.clone()),
            change: Change::Action(Some(json!({ "re_encrypted": changed, "key_id": current }))),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(changed)
    }
}
