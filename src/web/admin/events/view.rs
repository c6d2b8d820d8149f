//! How an event reads on a page (the record's name linked when the viewer may open it, the
//! kind as a phrase, the change field by field), shared by the event log and the dashboard.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::domain::auth::Viewer;
use crate::domain::event::{Event, EventKind, RecordKind, Subject, SystemActor};
use crate::domain::permission::Permission;

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
        let who = match (event.actor_id, event.api_key_id) {
            (Some(id), _) => Named {
                href: viewer
                    .can(Permission::UsersManage)
                    .then(|| format!("/admin/users/{id}")),
                text: event.actor_label,
            },
            (None, Some(_)) => Named {
                href: viewer
                    .can(Permission::ApiKeysManage)
                    .then(|| "/admin/api-keys".to_owned()),
                text: format!("API key {}", event.actor_label),
            },
            (None, None) => Named {
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

/// Where a record is shown or edited, and the permission that page needs; `None` for a record
/// with no page of its own.
fn record_page(kind: RecordKind, id: i64) -> Option<(String, Permission)> {
    Some(match kind {
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
        RecordKind::Product => (format!("/products/{id}/edit"), Permission::CatalogueManage),
        RecordKind::Campaign => (format!("/campaigns/{id}/edit"), Permission::CatalogueManage),
        RecordKind::Order => (format!("/orders/{id}"), Permission::CustomersView),
        RecordKind::ApiKey => ("/admin/api-keys".to_owned(), Permission::ApiKeysManage),
        RecordKind::BinRange => ("/gateways/bins".to_owned(), Permission::GatewaysManage),
        RecordKind::Customer => (format!("/customers/{id}"), Permission::CustomersView),
        RecordKind::Subscription => (format!("/subscriptions/{id}"), Permission::CustomersView),
        RecordKind::RefundQueueEntry => ("/refund-queue".to_owned(), Permission::CustomersView),
        RecordKind::Reason => ("/catalogue/reasons".to_owned(), Permission::CatalogueManage),
        RecordKind::Job => ("/admin/jobs".to_owned(), Permission::JobsManage),
        RecordKind::Transaction | RecordKind::Fulfillment | RecordKind::OutboxEmail => {
            return None;
        }
    })
}

fn subject_view(subject: &Subject, name: Option<String>, viewer: &Viewer) -> Named {
    match (subject.record(), name) {
        (Some((kind, id)), Some(name)) => Named {
            text: name,
            href: record_page(kind, id)
                .filter(|(_, permission)| viewer.can(*permission))
                .map(|(href, _)| href),
        },
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
