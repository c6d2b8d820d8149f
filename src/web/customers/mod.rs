//! Customer Service (seed 004, R-CS-8): the order search, a customer's profile with its inline
//! edits, History notes and tabs, and the Blacklist button (R-CS-5). One file per action; the
//! views they share (the profile's three swappable parts) live here.

pub mod blacklist;
pub mod edit;
pub mod notes;
pub mod profile;
pub mod search;

use actix_web::HttpRequest;
use askama::Template;
use chrono::{DateTime, Utc};

use crate::domain::FieldErrors;
use crate::domain::customer::{
    CustomerOrder, CustomerProfile, CustomerTransaction, DetailField, DetailsForm, ProfileTab,
};
use crate::domain::history::{HistoryEntry, NOTE_MAX_CHARS};
use crate::domain::ids::{
    CustomerId, FulfillmentId, HistoryEntryId, OrderId, OutboxId, SubscriptionId, TransactionId,
};
use crate::domain::order::{Fulfillment, Subscription};
use crate::domain::outbox::OutboxEmail;
use crate::domain::page::KeysetPage;
use crate::domain::permission::Permission;
use crate::error::AppError;
use crate::web::page::{Layout, PageCtx};

/// Rows per page of each tab and of the History panel.
pub const TAB_PAGE: u32 = 20;
pub const HISTORY_PAGE: u32 = 15;

/// The customer id of a path; anything that is not one is no such page.
pub fn customer_id(raw: &str) -> Result<CustomerId, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(CustomerId)
        .ok_or(AppError::NotFound)
}

/// Which part of the profile an htmx request swaps (`HX-Target`), if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Details,
    History,
    Tab,
}

pub fn part_of(req: &HttpRequest) -> Option<Part> {
    if !crate::web::page::is_htmx(req) {
        return None;
    }
    match req.headers().get("HX-Target").and_then(|v| v.to_str().ok()) {
        Some("details") => Some(Part::Details),
        Some("history") => Some(Part::History),
        Some("tab-body") => Some(Part::Tab),
        _ => None,
    }
}

/// What the viewer may do on a profile.
#[derive(Debug, Clone, Copy, Default)]
pub struct Abilities {
    pub act: bool,
    pub blacklist: bool,
    pub order: bool,
}

impl Abilities {
    pub fn of(ctx: &PageCtx) -> Self {
        let can = |p| ctx.viewer.as_ref().is_some_and(|v| v.can(p));
        Self {
            act: can(Permission::CustomersAct),
            blacklist: can(Permission::CustomersBlacklist),
            order: can(Permission::OrdersEnter),
        }
    }
}

/// One line of the details card.
pub struct DetailRow {
    pub field: DetailField,
    pub value: String,
    pub editing: bool,
    /// Focus its pencil (after a save or a cancel).
    pub focus: bool,
}

/// The details card: each field with its pencil, one of them perhaps open as an inline form.
pub struct DetailsCard {
    pub customer_id: CustomerId,
    pub rows: Vec<DetailRow>,
    pub cards: Vec<String>,
    pub since: DateTime<Utc>,
    pub form: DetailsForm,
    pub errors: FieldErrors,
    pub can_act: bool,
    pub csrf: String,
    /// Said to a screen reader after a save.
    pub said: Option<String>,
}

impl DetailsCard {
    pub fn new(
        profile: &CustomerProfile,
        editing: Option<DetailField>,
        focus: Option<DetailField>,
        can_act: bool,
        csrf: &str,
    ) -> Self {
        let form = editing
            .map(|f| DetailsForm::of(f, profile))
            .unwrap_or_default();
        Self {
            customer_id: profile.customer.id,
            rows: DetailField::all()
                .map(|field| DetailRow {
                    field,
                    value: field.shown(profile),
                    editing: editing == Some(field),
                    focus: focus == Some(field),
                })
                .collect(),
            cards: profile.cards.iter().map(|c| c.label()).collect(),
            since: profile.customer.created_at,
            form,
            errors: FieldErrors::default(),
            can_act,
            csrf: csrf.to_owned(),
            said: None,
        }
    }

    /// Whether input `name` takes focus when the form opens: the first with a message, or the
    /// first of all.
    pub fn autofocus(&self, field: &DetailField, name: &str) -> bool {
        let inputs = field.inputs();
        match inputs.iter().find(|(n, _)| self.errors.get(n).is_some()) {
            Some((first_bad, _)) => *first_bad == name,
            None => inputs.first().is_some_and(|(first, _)| *first == name),
        }
    }
}

/// The note form, in the History panel's dialog or on its own page without JavaScript.
pub struct NoteForm {
    pub customer_id: CustomerId,
    pub text: String,
    pub errors: FieldErrors,
    pub csrf: String,
    pub in_dialog: bool,
    pub max: usize,
}

impl NoteForm {
    pub fn new(customer_id: CustomerId, csrf: &str, in_dialog: bool) -> Self {
        Self {
            customer_id,
            text: String::new(),
            errors: FieldErrors::default(),
            csrf: csrf.to_owned(),
            in_dialog,
            max: NOTE_MAX_CHARS,
        }
    }
}

/// The History panel: notes and automatic entries, newest first, with the note dialog.
pub struct HistoryPanel {
    pub customer_id: CustomerId,
    pub page: KeysetPage<HistoryEntry, HistoryEntryId>,
    pub newest_href: Option<String>,
    pub older_href: Option<String>,
    pub can_act: bool,
    pub note: NoteForm,
    /// "Note added.", after one was.
    pub said: Option<String>,
}

/// The rows of the tab on show.
pub enum TabRows {
    Orders(KeysetPage<CustomerOrder, OrderId>),
    Subscriptions(KeysetPage<Subscription, SubscriptionId>),
    Transactions(KeysetPage<CustomerTransaction, TransactionId>),
    Fulfillments(KeysetPage<Fulfillment, FulfillmentId>),
    Emails(KeysetPage<OutboxEmail, OutboxId>),
}

impl TabRows {
    pub fn total(&self) -> i64 {
        match self {
            TabRows::Orders(p) => p.total,
            TabRows::Subscriptions(p) => p.total,
            TabRows::Transactions(p) => p.total,
            TabRows::Fulfillments(p) => p.total,
            TabRows::Emails(p) => p.total,
        }
    }

    /// The key of the next (older) page.
    pub fn next(&self) -> Option<i64> {
        match self {
            TabRows::Orders(p) => p.next.map(|k| k.0),
            TabRows::Subscriptions(p) => p.next.map(|k| k.0),
            TabRows::Transactions(p) => p.next.map(|k| k.0),
            TabRows::Fulfillments(p) => p.next.map(|k| k.0),
            TabRows::Emails(p) => p.next.map(|k| k.0),
        }
    }
}

/// The tabs below the profile and the body of the one on show.
pub struct TabBody {
    pub customer_id: CustomerId,
    pub tab: ProfileTab,
    pub tabs: Vec<(ProfileTab, String, bool)>,
    pub rows: TabRows,
    pub newest_href: Option<String>,
    pub older_href: Option<String>,
    pub now: DateTime<Utc>,
    pub can_act: bool,
    pub csrf: String,
    /// This page's one-time key; each refund or void form adds its transaction's id.
    pub key: String,
}

/// The profile's address of one tab's page.
pub fn tab_href(customer: CustomerId, tab: ProfileTab, after: Option<i64>) -> String {
    match after {
        Some(after) => format!("/customers/{customer}?tab={}&after={after}", tab.key()),
        None => format!("/customers/{customer}?tab={}", tab.key()),
    }
}

/// The whole profile page.
#[derive(Template)]
#[template(path = "pages/customers/profile.html")]
pub struct ProfilePage {
    pub layout: Layout,
    pub profile: CustomerProfile,
    pub details: DetailsCard,
    pub history: HistoryPanel,
    pub tab: TabBody,
    pub can: Abilities,
}

impl ProfilePage {
    /// The `tel:` address of the number on record: its digits and a leading `+`.
    pub fn tel_href(&self) -> String {
        let phone = &self.profile.customer.phone;
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if phone.trim_start().starts_with('+') {
            format!("tel:+{digits}")
        } else {
            format!("tel:{digits}")
        }
    }
}

#[derive(Template)]
#[template(path = "partials/customers/details.html")]
pub struct DetailsFragment {
    pub details: DetailsCard,
}

#[derive(Template)]
#[template(path = "partials/customers/history.html")]
pub struct HistoryFragment {
    pub history: HistoryPanel,
}

#[derive(Template)]
#[template(path = "partials/customers/note_form.html")]
pub struct NoteFragment {
    pub note: NoteForm,
}

#[derive(Template)]
#[template(path = "partials/customers/tab.html")]
pub struct TabFragment {
    pub tab: TabBody,
}
