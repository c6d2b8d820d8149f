//! The blacklist (R-CS-5): only CS admins and admins blacklist a customer; blacklisting records
//! the customer's email, phone and every card fingerprint on file, which R-OR-4 then refuses on
//! any new order (`services.orders.place`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::users::grantor;
use super::{Unexpected, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::{Db, DbError};
use crate::domain::ceiling::Grantor;
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::history::{HistoryKind, NewHistoryEntry};
use crate::domain::ids::CustomerId;
use crate::domain::permission::Permission;

/// At most this many characters of reason.
pub const REASON_MAX: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum BlacklistError {
    #[error("No such customer.")]
    NotFound,
    /// R-CS-5: the actor's role does not hold `customers.blacklist`.
    #[error("Only CS admins and admins blacklist customers.")]
    Forbidden,
    #[error("A reason is one line of at most {REASON_MAX} characters.")]
    Reason,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(BlacklistError {
    NotFound => NotFound, "customer_not_found",
    Forbidden => Forbidden, "blacklist_forbidden",
    Reason => Invalid, "invalid",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for BlacklistError {
    fn from(e: DbError) -> Self {
        BlacklistError::Unexpected(e.into())
    }
}

#[derive(Clone)]
pub struct BlacklistService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl BlacklistService {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// R-CS-5, checked here whatever route called it: the actor's role, as the database has it
    /// now, must hold `customers.blacklist`.
    async fn may_blacklist(&self, actor: &Actor) -> Result<(), BlacklistError> {
        match grantor(&self.db, actor).await? {
            Grantor::Operator => Ok(()),
            Grantor::User { permissions, .. }
                if permissions.contains(Permission::CustomersBlacklist) =>
            {
                Ok(())
            }
            Grantor::User { .. } | Grantor::Gone => Err(BlacklistError::Forbidden),
        }
    }

    /// One page of blacklisted customers, newest first.
    pub async fn list(
        &self,
        page: crate::domain::page::PageRequest,
    ) -> Result<crate::domain::page::Page<crate::domain::order::BlacklistedCustomer>, Unexpected>
    {
        Ok(db::orders::blacklisted_customers(&self.db, page).await?)
    }

    /// Blacklists `customer`: their email, phone and card fingerprints; answers how many
    /// entries they now have.
    pub async fn add(
        &self,
        actor: &Actor,
        customer: CustomerId,
        reason: &str,
    ) -> Result<u64, BlacklistError> {
        self.may_blacklist(actor).await?;
        let reason = reason.trim();
        if reason.chars().count() > REASON_MAX || reason.chars().any(char::is_control) {
            return Err(BlacklistError::Reason);
        }
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some(found) = db::orders::find_customer(&mut tx, customer).await? else {
            return Err(BlacklistError::NotFound);
        };
        let entries = db::orders::blacklist_customer(&mut tx, customer, reason, now).await?;
        let said = if reason.is_empty() {
            "Blacklisted: new orders from this email, phone and these cards are refused.".to_owned()
        } else {
            format!(
                "Blacklisted ({reason}): new orders from this email, phone and these cards are refused."
            )
        };
        note(&mut tx, actor, customer, &said, now).await?;
        let event = NewEvent {
            kind: EventKind::CustomerBlacklisted,
            subject: Subject::Customer(customer),
            change: Change::Action(Some(json!({
                "customer": found.name(),
                "email": found.email,
                "entries": entries,
                "reason": reason,
            }))),
        };
        db::events::insert(&mut tx, actor, &event, now).await?;
        tx.commit().await?;
        Ok(entries)
    }

    /// Takes `customer` off the blacklist: every entry made for them.
    pub async fn remove(&self, actor: &Actor, customer: CustomerId) -> Result<(), BlacklistError> {
        self.may_blacklist(actor).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if db::orders::find_customer(&mut tx, customer)
            .await?
            .is_none()
        {
            return Err(BlacklistError::NotFound);
        }
        db::orders::unblacklist_customer(&mut tx, customer, now).await?;
        note(
            &mut tx,
            actor,
            customer,
            "Taken off the blacklist: new orders are accepted again.",
            now,
        )
        .await?;
        let event = NewEvent {
            kind: EventKind::CustomerUnblacklisted,
            subject: Subject::Customer(customer),
            change: Change::Action(None),
        };
        db::events::insert(&mut tx, actor, &event, now).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The customer's History entry of a blacklist change.
async fn note(
    tx: &mut db::Tx,
    actor: &Actor,
    customer: CustomerId,
    said: &str,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let entry =
        NewHistoryEntry::automatic(HistoryKind::Blacklist, customer, None, actor.user_id, said);
    db::history::add(tx, &entry, now).await.map(drop)
}
