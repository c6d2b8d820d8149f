//! `/admin/events`: the event log, filtered by user, kind and date, newest first; and how an
//! event reads on a page (names, phrases, field-by-field changes), shared with the dashboard.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use serde_json::Value;

use crate::domain::FieldErrors;
use crate::domain::auth::Viewer;
use crate::domain::contact::Email;
use crate::domain::event::{Event, EventFilter, EventKind, RecordKind, Subject, SystemActor};
use crate::domain::ids::EventId;
use crate::domain::page::{KeysetPage, KeysetRequest};
use crate::domain::permission::Permission;
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{Layout, PageCtx, render};

/// Text that links to the page it names when the viewer may open that page.
pub struct Named {
    pub text: String,
    pub href: Option<String>,
}

/// An event as the log and the dashboard show it: names and phrases, not stored keys.
pub struct EventView {
    pub at: DateTime<Utc>,
    pub who: Named,
    pub kind: EventKind,
    pub subject: Named,
    pub change: Option<ChangeView>,
    pub ip: Option<String>,
}

impl EventView {
    pub fn of(event: Event, viewer: &Viewer) -> Self {
        let who = match event.actor_id {
            Some(id) => Named {
                href: viewer
                    .can(Permission::UsersManage)
                    .then(|| format!("/admin/users/{id}")),
                text: event.actor_label,
            },
            None => Named {
                text: SystemActor::from_key(&event.actor_label)
                    .map_or(event.actor_label, |a| a.label().to_owned()),
                href: None,
            },
        };
        Self {
            at: event.at,
            who,
            kind: event.kind,
            subject: subject_view(&event.subject, event.subject_name, viewer),
            change: ChangeView::of(event.before.as_deref(), event.after.as_deref()),
            ip: event.ip,
        }
    }
}

/// Where a record is edited, and the permission that page needs.
fn record_page(kind: RecordKind, id: i64) -> (String, Permission) {
    match kind {
        RecordKind::User => (format!("/admin/users/{id}"), Permission::UsersManage),
        RecordKind::Role => (format!("/admin/roles/{id}"), Permission::RolesManage),
        RecordKind::Mid => (format!("/mids/{id}/edit"), Permission::MidsManage),
        RecordKind::RoutingProfile => (
            format!("/gateways/profiles/{id}"),
            Permission::GatewaysManage,
        ),
        RecordKind::DeclineMapping => (
            format!("/gateways/decline-mapping/{id}/edit"),
            Permission::DeclineMappingManage,
        ),
        RecordKind::RecycleProfile => (
            format!("/recycle-billing/{id}/edit"),
            Permission::RecycleManage,
        ),
    }
}

fn subject_view(subject: &Subject, name: Option<String>, viewer: &Viewer) -> Named {
    match (subject.record(), name) {
        (Some((kind, id)), Some(name)) => {
            let (href, permission) = record_page(kind, id);
            Named {
                text: name,
                href: viewer.can(permission).then_some(href),
            }
        }
        (Some((kind, id)), None) => Named {
            text: format!("{} #{id} (deleted)", kind.label()),
            href: None,
        },
        (None, _) => Named {
            text: match subject {
                Subject::SecretKey(key) => format!("Encryption key {key}"),
                Subject::Email(email) => email.clone(),
                other => other.to_string(),
            },
            href: None,
        },
    }
}

/// One field of a record before and after the change.
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// The before and after of an event, field by field, with the JSON as stored.
pub struct ChangeView {
    pub rows: Vec<FieldChange>,
    pub has_before: bool,
    pub has_after: bool,
    /// Fields an update left as they were (not listed).
    pub unchanged: usize,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
}

impl ChangeView {
    fn of(before: Option<&str>, after: Option<&str>) -> Option<Self> {
        if before.is_none() && after.is_none() {
            return None;
        }
        let fields = |json: Option<&str>| {
            let mut out = Vec::new();
            if let Some(value) = json.and_then(|j| serde_json::from_str::<Value>(j).ok()) {
                flatten("", &value, &mut out);
            }
            out
        };
        let (old, new) = (fields(before), fields(after));
        let mut names: Vec<&String> = old.iter().map(|(k, _)| k).collect();
        names.extend(
            new.iter()
                .map(|(k, _)| k)
                .filter(|k| !old.iter().any(|(o, _)| o == *k)),
        );
        let lookup = |list: &[(String, String)], name: &str| {
            list.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        };
        let updated = before.is_some() && after.is_some();
        let mut rows = Vec::new();
        let mut unchanged = 0;
        for name in names {
            let (b, a) = (lookup(&old, name), lookup(&new, name));
            if updated && b == a {
                unchanged += 1;
                continue;
            }
            let blank = || NOTHING.to_owned();
            rows.push(FieldChange {
                field: name.replace('_', " ").replace('.', " › "),
                before: b.unwrap_or_else(blank),
                after: a.unwrap_or_else(blank),
            });
        }
        Some(Self {
            rows,
            has_before: before.is_some(),
            has_after: after.is_some(),
            unchanged,
            before_json: before.map(str::to_owned),
            after_json: after.map(str::to_owned),
        })
    }
}

/// What an empty or missing value shows.
const NOTHING: &str = "—";

/// Objects, and lists that hold objects, become one row per leaf (`credentials.app_key`,
/// `attempts.2.wait_days`, counting from 1), so an update lists exactly what changed; anything
/// else is one value.
fn flatten(path: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let child = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, v) in map {
                flatten(&child(key), v, out);
            }
        }
        Value::Array(items) if items.iter().any(|v| v.is_object() || v.is_array()) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&child(&(i + 1).to_string()), v, out);
            }
        }
        other => {
            let name = if path.is_empty() { "value" } else { path };
            out.push((name.to_owned(), shown(other)));
        }
    }
}

/// A JSON value as text: strings without quotes, lists of plain values comma-separated.
fn shown(value: &Value) -> String {
    let scalar = |v: &Value| match v {
        Value::Null => Some(NOTHING.to_owned()),
        Value::String(s) if s.is_empty() => Some(NOTHING.to_owned()),
        Value::String(s) => Some(s.clone()),
        Value::Bool(true) => Some("yes".to_owned()),
        Value::Bool(false) => Some("no".to_owned()),
        Value::Number(n) => Some(n.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    };
    match value {
        Value::Array(items) if items.is_empty() => NOTHING.to_owned(),
        Value::Array(items) => items
            .iter()
            .map(scalar)
            .collect::<Option<Vec<_>>>()
            .map_or_else(|| value.to_string(), |all| all.join(", ")),
        other => scalar(other).unwrap_or_else(|| other.to_string()),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_lists_only_the_fields_it_changed() {
        let before = r#"{"name":"A","attempts":[{"skip":true,"wait_days":1},{"skip":true,"wait_days":3}],"tags":["x","y"],"cap":null}"#;
        let after = r#"{"name":"A","attempts":[{"skip":true,"wait_days":1},{"skip":false,"wait_days":3}],"tags":["x","y"],"cap":500}"#;
        let change = ChangeView::of(Some(before), Some(after)).unwrap();
        let rows: Vec<_> = change
            .rows
            .iter()
            .map(|r| (r.field.as_str(), r.before.as_str(), r.after.as_str()))
            .collect();
        assert_eq!(
            rows,
            [("attempts › 2 › skip", "yes", "no"), ("cap", "—", "500")]
        );
        assert_eq!(change.unchanged, 5);
    }

    #[test]
    fn a_creation_lists_every_field_and_lists_of_values_read_as_text() {
        let change = ChangeView::of(None, Some(r#"{"accepts":["Visa","Amex"],"cs_phone":""}"#));
        let rows: Vec<_> = change
            .unwrap()
            .rows
            .into_iter()
            .map(|r| (r.field, r.after))
            .collect();
        assert_eq!(
            rows,
            [
                ("accepts".to_owned(), "Visa, Amex".to_owned()),
                ("cs phone".to_owned(), "—".to_owned())
            ]
        );
        assert!(ChangeView::of(None, None).is_none());
    }
}
