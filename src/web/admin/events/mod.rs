//! `/admin/events`: the event log, filtered by user, kind and date, newest first, a keyset page
//! at a time. How an event reads on a page is in `view`, shared with the dashboard.

mod view;

pub use view::EventView;

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDate, TimeZone, Utc};
use serde::Deserialize;

use crate::domain::FieldErrors;
use crate::domain::contact::Email;
use crate::domain::event::{EventFilter, EventKind};
use crate::domain::ids::EventId;
use crate::domain::page::{KeysetPage, KeysetRequest};
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
    /// The keyset cursor: the id of the last event of the page before.
    #[serde(default)]
    before: String,
}

impl EventQuery {
    /// Unusable filters are reported next to their field and left out, so the page still shows.
    /// The user is looked up by email (one indexed query, only when that filter is set); `None`
    /// when no event can match (nobody has that email).
    async fn filter(
        &self,
        services: &Services,
    ) -> Result<(Option<EventFilter>, FieldErrors), AppError> {
        let mut errors = FieldErrors::default();
        let mut filter = EventFilter::default();
        if !self.user.trim().is_empty()
            && let Some(email) = errors.take("user", Email::parse(&self.user))
        {
            filter.actor_id = services.events.actor_by_email(&email).await?;
            if filter.actor_id.is_none() {
                errors.push("user", "No user has this email address.");
                return Ok((None, errors));
            }
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
        Ok((Some(filter), errors))
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
    events: Vec<EventView>,
    total: i64,
    query: EventQuery,
    /// The newest page with these filters, when this is an older one.
    newest_href: Option<String>,
    /// The next, older page, when there is one.
    older_href: Option<String>,
    kinds: Vec<EventKind>,
    errors: FieldErrors,
    /// Whether any filter is set, so the filter panel starts open.
    filtered: bool,
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<EventQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (filter, errors) = query.filter(&services).await?;
    // `before` is the last event of the page before; anything else starts at the newest.
    let request = KeysetRequest {
        after: query.before.trim().parse().ok().map(EventId),
        size: 50,
    };
    let page = match &filter {
        Some(filter) => services.events.list(filter, request).await?,
        None => KeysetPage {
            items: Vec::new(),
            next: None,
            total: 0,
        },
    };
    let viewer = ctx.viewer()?;
    let events = page
        .items
        .into_iter()
        .map(|e| EventView::of(e, viewer))
        .collect();
    let base = format!("/admin/events?{}", query.query_string());
    let newest_href = request.after.is_some().then(|| base.clone());
    let older_href = page.next.map(|id| format!("{base}&before={id}"));
    let filtered = [&query.user, &query.kind, &query.from, &query.until]
        .iter()
        .any(|f| !f.trim().is_empty());
    let page = EventsPage {
        layout: ctx.layout("Event log", "admin"),
        events,
        total: page.total,
        newest_href,
        older_href,
        query,
        kinds: EventKind::all().collect(),
        errors,
        filtered,
    };
    render(&page)
}
