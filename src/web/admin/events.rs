//! `/admin/events`: the event log, filtered by user, kind and date, newest first.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use crate::domain::FieldErrors;
use crate::domain::event::{Event, EventFilter, EventKind};
use crate::domain::ids::UserId;
use crate::domain::page::{Page, PageRequest};
use crate::domain::user::UserLabel;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{Layout, PageCtx, render};

#[derive(Default, Deserialize)]
pub struct EventQuery {
    #[serde(default)]
    user: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    page: String,
}

impl EventQuery {
    /// Unusable filters are reported next to their field and left out, so the page still shows.
    fn filter(&self) -> (EventFilter, FieldErrors) {
        let mut errors = FieldErrors::default();
        let mut filter = EventFilter::default();
        if !self.user.is_empty() {
            filter.actor_id = errors.take(
                "user",
                self.user
                    .parse::<i64>()
                    .map(UserId)
                    .map_err(|_| "Pick a user from the list."),
            );
        }
        if !self.kind.is_empty() {
            filter.kind = errors.take(
                "kind",
                EventKind::from_key(&self.kind).ok_or("Pick a kind from the list."),
            );
        }
        let date = |raw: &str| {
            NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map_err(|_| "Enter a date as YYYY-MM-DD.")
        };
        if !self.from.trim().is_empty() {
            filter.from = errors
                .take("from", date(&self.from))
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| Utc.from_utc_datetime(&t));
        }
        if !self.until.trim().is_empty() {
            // "until" includes the whole day it names.
            filter.until = errors
                .take("until", date(&self.until))
                .and_then(|d| d.succ_opt())
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| Utc.from_utc_datetime(&t));
        }
        (filter, errors)
    }

    /// The filters as a query string, for the pager's links.
    fn query_string(&self) -> String {
        serde_urlencoded::to_string([
            ("user", &self.user),
            ("kind", &self.kind),
            ("from", &self.from),
            ("until", &self.until),
        ])
        .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "pages/admin/events.html")]
struct EventsPage {
    layout: Layout,
    events: Page<Event>,
    query: EventQuery,
    /// The log's URL up to `page=`, keeping the filters.
    pager_base: String,
    users: Vec<UserLabel>,
    kinds: Vec<&'static str>,
    errors: FieldErrors,
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (filter, errors) = query.filter();
    let events = services
        .events
        .list(&filter, PageRequest::new(query.page.parse().ok(), 50))
        .await?;
    let users = services.events.actors().await?;
    let page = EventsPage {
        layout: ctx.layout("Event log", "admin"),
        events,
        pager_base: format!("/admin/events?{}&", query.query_string()),
        query,
        users,
        kinds: EventKind::all().map(|k| k.key()).collect(),
        errors,
    };
    render(&page)
}
