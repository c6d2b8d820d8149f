//! Customer service's customer (R-CS-8): the order search agents find a caller with, the
//! profile (details, history, orders, subscriptions, transactions, fulfillments), the inline
//! edits of the details and the notes of the History panel. Each change is written with its
//! history entry and its event (before and after) in one transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;

use super::{Unexpected, service_error};
use crate::clock::Clock;
use crate::db::customers::ContactEdit;
use crate::db::{self, Db, DbError};
use crate::domain::FieldErrors;
use crate::domain::customer::{
    CustomerOrder, CustomerProfile, CustomerTransaction, DetailField, DetailsEdit, SearchFilters,
    SearchPage,
};
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::history::{HistoryEntry, HistoryKind, NewHistoryEntry, NoteText};
use crate::domain::ids::{
    CampaignId, CustomerId, FulfillmentId, HistoryEntryId, OrderId, SubscriptionId, TransactionId,
};
use crate::domain::order::{Fulfillment, Subscription};
use crate::domain::page::{KeysetPage, KeysetRequest};

#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    #[error("No such customer.")]
    NotFound,
    #[error("{0}")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(CustomerError {
    NotFound => NotFound, "customer_not_found",
    Invalid(_) => Invalid, "invalid",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<DbError> for CustomerError {
    fn from(e: DbError) -> Self {
        CustomerError::Unexpected(e.into())
    }
}

/// What the History panel records for a changed field.
fn change_said(field: DetailField, before: &str, after: &str) -> String {
    let label = field.label();
    match (before.is_empty(), after.is_empty()) {
        (true, _) => format!("{label} set to “{after}”."),
        (false, true) => format!("{label} removed (was “{before}”)."),
        (false, false) => format!("{label} changed from “{before}” to “{after}”."),
    }
}

#[derive(Clone)]
pub struct CustomerService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl CustomerService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    /// The portal's time, for what the pages show as settled or due.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// R-CS-8: the orders matching every filter given, newest first, by keyset.
    pub async fn search(
        &self,
        filters: &SearchFilters,
        page: KeysetRequest<OrderId>,
    ) -> Result<SearchPage, Unexpected> {
        Ok(db::customers::search(&self.db, filters, page).await?)
    }

    /// The campaigns the search's campaign filter offers.
    pub async fn campaign_choices(&self) -> Result<Vec<(CampaignId, String)>, Unexpected> {
        Ok(db::customers::campaign_choices(&self.db).await?)
    }

    pub async fn profile(&self, id: CustomerId) -> Result<CustomerProfile, CustomerError> {
        db::customers::profile(&self.db, id)
            .await?
            .ok_or(CustomerError::NotFound)
    }

    /// The History panel: notes and automatic entries, newest first.
    pub async fn history(
        &self,
        id: CustomerId,
        page: KeysetRequest<HistoryEntryId>,
    ) -> Result<KeysetPage<HistoryEntry, HistoryEntryId>, Unexpected> {
        Ok(db::history::list(&self.db, id, page).await?)
    }

    pub async fn orders(
        &self,
        id: CustomerId,
        page: KeysetRequest<OrderId>,
    ) -> Result<KeysetPage<CustomerOrder, OrderId>, Unexpected> {
        Ok(db::customers::orders(&self.db, id, page).await?)
    }

    pub async fn subscriptions(
        &self,
        id: CustomerId,
        page: KeysetRequest<SubscriptionId>,
    ) -> Result<KeysetPage<Subscription, SubscriptionId>, Unexpected> {
        Ok(db::customers::subscriptions(&self.db, id, page).await?)
    }

    pub async fn transactions(
        &self,
        id: CustomerId,
        page: KeysetRequest<TransactionId>,
    ) -> Result<KeysetPage<CustomerTransaction, TransactionId>, Unexpected> {
        Ok(db::customers::transactions(&self.db, id, page).await?)
    }

    pub async fn fulfillments(
        &self,
        id: CustomerId,
        page: KeysetRequest<FulfillmentId>,
    ) -> Result<KeysetPage<Fulfillment, FulfillmentId>, Unexpected> {
        Ok(db::customers::fulfillments(&self.db, id, page).await?)
    }

    /// Saves one field of the details (the pencil): the change, a history entry and the event
    /// with the value before and after, together. Saving the value already on record changes
    /// and logs nothing. Answers the profile as it now is.
    pub async fn update(
        &self,
        actor: &Actor,
        id: CustomerId,
        edit: &DetailsEdit,
    ) -> Result<CustomerProfile, CustomerError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let Some(profile) = db::customers::profile(&mut tx, id).await? else {
            return Err(CustomerError::NotFound);
        };
        let field = edit.field();
        let updated = edit.applied(&profile);
        let before = field.shown(&profile);
        let after = field.shown(&updated);
        if before == after {
            return Ok(profile);
        }
        let contact = match edit {
            DetailsEdit::Name { first, last } => ContactEdit {
                first_name: Some(first.as_str()),
                last_name: Some(last.as_str()),
                ..ContactEdit::default()
            },
            DetailsEdit::Email(email) => ContactEdit {
                email: Some(email.as_str()),
                ..ContactEdit::default()
            },
            DetailsEdit::Phone(phone) => ContactEdit {
                phone: Some(phone.as_ref().map_or("", |p| p.as_str())),
                ..ContactEdit::default()
            },
            DetailsEdit::Address { field, address } => {
                let kind = field.address_kind().unwrap_or("billing");
                db::customers::put_address(&mut tx, id, kind, address).await?;
                ContactEdit::default()
            }
        };
        db::customers::set_contact(&mut tx, id, contact, now).await?;
        let entry = NewHistoryEntry::automatic(
            HistoryKind::Profile,
            id,
            None,
            actor.user_id,
            &change_said(field, &before, &after),
        );
        db::history::add(&mut tx, &entry, now).await?;
        let event = NewEvent {
            kind: EventKind::CustomerUpdated,
            subject: Subject::Customer(id),
            change: Change::Updated {
                before: json!({ field.key(): before }),
                after: json!({ field.key(): after }),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(updated)
    }

    /// Adds an agent's note to the customer's History, logged.
    pub async fn add_note(
        &self,
        actor: &Actor,
        id: CustomerId,
        note: &NoteText,
    ) -> Result<HistoryEntryId, CustomerError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if db::orders::find_customer(&mut tx, id).await?.is_none() {
            return Err(CustomerError::NotFound);
        }
        let entry = NewHistoryEntry::note(id, actor.user_id, note);
        let entry_id = db::history::add(&mut tx, &entry, now).await?;
        let event = NewEvent {
            kind: EventKind::CustomerNoteAdded,
            subject: Subject::Customer(id),
            change: Change::Action(Some(json!({
                "history_entry": entry_id.0,
                "note": note.as_str(),
            }))),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(entry_id)
    }
}
