//! Reading the event log (SPEC R-AU-5). Writing happens inside each service's own transaction.

use super::{Services, Unexpected};
use crate::db;
use crate::domain::event::{Event, EventFilter};
use crate::domain::ids::UserId;
use crate::domain::page::{Page, PageRequest};

impl Services {
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        page: PageRequest,
    ) -> Result<Page<Event>, Unexpected> {
        Ok(db::events::list(&self.db, filter, page).await?)
    }

    /// The users the event log can be filtered by.
    pub async fn event_actors(&self) -> Result<Vec<(UserId, String)>, Unexpected> {
        Ok(db::users::all_labels(&self.db).await?)
    }
}
