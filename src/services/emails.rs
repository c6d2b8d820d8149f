//! The outbox as agents see it: a customer's emails with their delivery state, and Resend.

use std::sync::Arc;

use serde_json::json;

use super::{Unexpected, service_error};
use crate::clock::Clock;
use crate::db::outbox::NewEmail;
use crate::db::{self, Db, DbError};
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::history::{HistoryKind, NewHistoryEntry};
use crate::domain::ids::{CustomerId, OutboxId};
use crate::domain::outbox::OutboxEmail;
use crate::domain::page::{KeysetPage, KeysetRequest};

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("no such email")]
    NotFound,
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(EmailError {
    NotFound => NotFound, "email_not_found",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for EmailError {
    fn from(e: DbError) -> Self {
        EmailError::Unexpected(e.into())
    }
}

#[derive(Clone)]
pub struct EmailService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl EmailService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// One page of the customer's emails, newest first.
    pub async fn for_customer(
        &self,
        customer: CustomerId,
        page: KeysetRequest<OutboxId>,
    ) -> Result<KeysetPage<OutboxEmail, OutboxId>, Unexpected> {
        Ok(db::outbox::for_customer(&self.db, customer, page).await?)
    }

    /// Email `id`, when it was written for `customer` (an id of another customer's email is
    /// no such email).
    pub async fn find(
        &self,
        customer: CustomerId,
        id: OutboxId,
    ) -> Result<OutboxEmail, EmailError> {
        db::outbox::find(&self.db, id)
            .await?
            .filter(|e| e.customer_id == Some(customer))
            .ok_or(EmailError::NotFound)
    }

    /// Resend: a copy of the email, to the same address, delivered afresh. Logged, and noted
    /// in the customer's history.
    pub async fn resend(
        &self,
        actor: &Actor,
        customer: CustomerId,
        id: OutboxId,
    ) -> Result<OutboxId, EmailError> {
        let original = self.find(customer, id).await?;
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let email = NewEmail {
            customer_id: original.customer_id,
            order_id: original.order_id,
            kind: original.kind.key(),
            to: &original.to,
            subject: &original.subject,
            body: &original.body,
        };
        let copy = db::outbox::queue(&mut tx, &email, now).await?;
        let entry = NewHistoryEntry::automatic(
            HistoryKind::Email,
            customer,
            original.order_id,
            actor.user_id,
            &format!(
                "{} \"{}\" sent again to {}.",
                original.kind.label(),
                original.subject,
                original.to
            ),
        );
        db::history::add(&mut tx, &entry, now).await?;
        let event = NewEvent {
            kind: EventKind::EmailResent,
            subject: Subject::OutboxEmail(copy),
            change: Change::Action(Some(json!({ "to": original.to, "copy_of": id.0 }))),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(copy)
    }
}
