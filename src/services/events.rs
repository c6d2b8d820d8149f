//! Reading the event log (SPEC R-AU-5). Writing happens inside each service's own transaction.

use super::Unexpected;
use crate::db;
use crate::db::Db;
use crate::domain::contact::Email;
use crate::domain::event::{Event, EventFilter};
use crate::domain::ids::{EventId, UserId};
use crate::domain::page::{KeysetPage, KeysetRequest};

/// The event log.
#[derive(Clone)]
pub struct EventService {
    db: Db,
}

impl EventService {
    pub(super) fn new(db: Db) -> Self {
        Self { db }
    }
}

impl EventService {
    /// One page of the log, each event with its subject's current name (two queries: the page
    /// and its total).
    /// Newest first, a page at a time by keyset, with the total.
    pub async fn list(
        &self,
        filter: &EventFilter,
        page: KeysetRequest<EventId>,
    ) -> Result<KeysetPage<Event, EventId>, Unexpected> {
        Ok(db::events::list(&self.db, filter, page).await?)
    }

    /// The newest `count` events, for the dashboard.
    pub async fn latest(&self, count: u32) -> Result<Vec<Event>, Unexpected> {
        Ok(db::events::latest(&self.db, i64::from(count)).await?)
    }

    /// The users the event log can be filtered by.
    /// The user with `email`, to filter the log by who acted.
    pub async fn actor_by_email(&self, email: &Email) -> Result<Option<UserId>, Unexpected> {
        Ok(db::users::id_by_email(&self.db, email).await?)
    }
}
