//! Customer service's view of a customer (SPEC 4.4, R-CS-8): the search of orders by what the
//! caller can tell an agent, the profile's details and their inline edits, and the rows of the
//! profile's tabs.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::FieldErrors;
use super::card::{Brand, CardType};
use super::contact::{Email, PersonName, Phone};
use super::ids::{CampaignId, CustomerId, OrderId, SubscriptionId};
use super::money::Money;
use super::order::{
    Address, AddressDraft, Customer, OrderKind, OrderStatus, Transaction, keyed_enum,
};
use super::payment::{Charged, TransactionResult};

/// At most this many characters of a name prefix.
pub const NAME_PREFIX_MAX: usize = 100;

/// The Advanced Filters as typed: what the URL of a search holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct SearchDraft {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub first_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub last_name: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub email: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub phone: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub order_id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub last4: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub from: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub to: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub campaign: String,
}

impl SearchDraft {
    /// Whether any filter was typed (the panel stays open then).
    pub fn filtered(&self) -> bool {
        *self != SearchDraft::default()
    }
}

/// Checked filters: every one given narrows the orders found (they combine with AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchFilters {
    /// Lower-cased prefixes of the customer's names.
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// A whole email address, lower-cased as stored.
    pub email: Option<String>,
    /// The digits of the phone number on record.
    pub phone_digits: Option<String>,
    pub order_id: Option<OrderId>,
    /// The last 4 digits of the card the order was paid with.
    pub last4: Option<String>,
    /// Orders placed on or after this day (UTC) ...
    pub from: Option<NaiveDate>,
    /// ... and on or before this one.
    pub to: Option<NaiveDate>,
    pub status: Option<OrderStatus>,
    pub campaign: Option<CampaignId>,
}

fn given(raw: &str) -> Option<&str> {
    Some(raw.trim()).filter(|v| !v.is_empty())
}

fn name_prefix(raw: &str, field: &'static str, errors: &mut FieldErrors) -> Option<String> {
    let value = given(raw)?;
    if value.chars().count() > NAME_PREFIX_MAX {
        errors.push(field, format!("Use at most {NAME_PREFIX_MAX} characters."));
        return None;
    }
    if value.chars().any(char::is_control) {
        errors.push(field, "Use letters, numbers and punctuation only.");
        return None;
    }
    Some(value.to_lowercase())
}

fn date(raw: &str, field: &'static str, errors: &mut FieldErrors) -> Option<NaiveDate> {
    let value = given(raw)?;
    match NaiveDate::parse_from_str(value, "%Y-%m-%d") {
        Ok(day) if (2000..=2999).contains(&day.year()) => Some(day),
        _ => {
            errors.push(field, "Enter a real date like 2026-11-02.");
            None
        }
    }
}

impl SearchFilters {
    /// Checks every filter at once; each message goes next to its field.
    pub fn parse(draft: &SearchDraft) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let first_name = name_prefix(&draft.first_name, "first_name", &mut errors);
        let last_name = name_prefix(&draft.last_name, "last_name", &mut errors);
        let email = given(&draft.email)
            .and_then(|raw| errors.take("email", Email::parse(raw)))
            .map(|e| e.as_str().to_owned());
        let phone_digits = given(&draft.phone).and_then(|raw| {
            let digits = phone_digits(raw);
            let allowed = raw
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            if allowed && (4..=15).contains(&digits.len()) {
                Some(digits)
            } else {
                errors.push(
                    "phone",
                    "Enter the phone number as on record, with its country code, like +1 555 010 7788.",
                );
                None
            }
        });
        let order_id = given(&draft.order_id).and_then(|raw| {
            let digits = raw.strip_prefix('#').unwrap_or(raw);
            match digits.parse::<i64>() {
                Ok(id) if id > 0 && digits.bytes().all(|b| b.is_ascii_digit()) => Some(OrderId(id)),
                _ => {
                    errors.push("order_id", "Enter an order number, like 1042.");
                    None
                }
            }
        });
        let last4 = given(&draft.last4).and_then(|raw| {
            if raw.len() == 4 && raw.bytes().all(|b| b.is_ascii_digit()) {
                Some(raw.to_owned())
            } else {
                errors.push("last4", "Enter the card's last 4 digits, like 4242.");
                None
            }
        });
        let from = date(&draft.from, "from", &mut errors);
        let to = date(&draft.to, "to", &mut errors);
        if let (Some(from), Some(to)) = (from, to)
            && from > to
        {
            errors.push("to", "The end date is before the start date.");
        }
        let status = given(&draft.status).and_then(|raw| {
            let status = OrderStatus::from_key(raw);
            if status.is_none() {
                errors.push("status", "Pick a status from the list.");
            }
            status
        });
        let campaign = given(&draft.campaign).and_then(|raw| match raw.parse::<i64>() {
            Ok(id) if id > 0 => Some(CampaignId(id)),
            _ => {
                errors.push("campaign", "Pick a campaign from the list.");
                None
            }
        });
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            first_name,
            last_name,
            email,
            phone_digits,
            order_id,
            last4,
            from,
            to,
            status,
            campaign,
        })
    }

    /// No filter: the newest orders.
    pub fn is_empty(&self) -> bool {
        *self == SearchFilters::default()
    }

    /// The first instant of the range, when it has a start.
    pub fn placed_from(&self) -> Option<DateTime<Utc>> {
        self.from
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
    }

    /// The instant after the range, when it has an end: midnight after its last day.
    pub fn placed_before(&self) -> Option<DateTime<Utc>> {
        self.to
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
    }
}

/// The digits of a phone number: how the search compares numbers however they were typed.
pub fn phone_digits(raw: &str) -> String {
    raw.chars().filter(char::is_ascii_digit).collect()
}

/// The first string after every string that starts with `prefix`, in byte order: a prefix
/// search is the range `prefix <= name < end`, which an index answers. `None` when there is no
/// such string (the prefix ends in the last character there is): the range is open then.
pub fn prefix_end(prefix: &str) -> Option<String> {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (u32::from(last) + 1..=u32::from(char::MAX)).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return Some(chars.into_iter().collect());
        }
    }
    None
}

/// One order found by a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRow {
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub email: String,
    pub placed_at: DateTime<Utc>,
    pub total: Money,
    pub status: OrderStatus,
    pub kind: OrderKind,
    pub campaign: String,
}

/// A page of search results, newest order first, and the key of the next (older) page. No
/// total: counting every match of a broad filter would read the whole orders table.
#[derive(Debug, Clone, Default)]
pub struct SearchPage {
    pub items: Vec<SearchRow>,
    pub next: Option<OrderId>,
}

/// A card on file as the profile shows it (R-TG-2: what may be kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardOnFile {
    pub brand: Brand,
    pub card_type: CardType,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

impl CardOnFile {
    /// "Visa …1111, credit, expires 12/2031".
    pub fn label(&self) -> String {
        format!(
            "{} …{}, {}, expires {:02}/{}",
            self.brand.label(),
            self.last4,
            self.card_type.label(),
            self.exp_month,
            self.exp_year
        )
    }
}

/// The details card of a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerProfile {
    pub customer: Customer,
    pub billing: Option<Address>,
    pub shipping: Option<Address>,
    pub cards: Vec<CardOnFile>,
}

/// An address on one line: "1 Main St, Apt 2, Springfield, IL 62701, US".
pub fn address_line(address: &Address) -> String {
    let mut parts: Vec<String> = vec![address.line1.clone()];
    if !address.line2.is_empty() {
        parts.push(address.line2.clone());
    }
    parts.push(address.city.clone());
    let region = [address.state.as_str(), address.postal_code.as_str()]
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(" ");
    if !region.is_empty() {
        parts.push(region);
    }
    parts.push(address.country.clone());
    parts.join(", ")
}

keyed_enum! {
    /// A field of the details card, each with its own pencil.
    DetailField {
        Name = "name", "Name";
        Email = "email", "Email";
        Phone = "phone", "Phone";
        Billing = "billing", "Billing address";
        Shipping = "shipping", "Shipping address";
    }
}

impl DetailField {
    /// The field's value as the card shows it and the history records it ("" when none).
    pub fn shown(self, profile: &CustomerProfile) -> String {
        let c = &profile.customer;
        match self {
            DetailField::Name => c.name(),
            DetailField::Email => c.email.clone(),
            DetailField::Phone => c.phone.clone(),
            DetailField::Billing => profile
                .billing
                .as_ref()
                .map(address_line)
                .unwrap_or_default(),
            DetailField::Shipping => profile
                .shipping
                .as_ref()
                .map(address_line)
                .unwrap_or_default(),
        }
    }

    /// The address kind stored in `customer_addresses.kind`, for the address fields.
    pub fn address_kind(self) -> Option<&'static str> {
        match self {
            DetailField::Billing => Some("billing"),
            DetailField::Shipping => Some("shipping"),
            _ => None,
        }
    }

    /// The inputs of the field's inline form, in order: (name, label).
    pub fn inputs(self) -> &'static [(&'static str, &'static str)] {
        match self {
            DetailField::Name => &[("first_name", "First name"), ("last_name", "Last name")],
            DetailField::Email => &[("email", "Email")],
            DetailField::Phone => &[("phone", "Phone")],
            DetailField::Billing | DetailField::Shipping => &[
                ("line1", "Street address"),
                ("line2", "Apartment, suite (optional)"),
                ("city", "City"),
                ("state", "State or region (optional)"),
                ("postal_code", "Postal code"),
                ("country", "Country (two letters, like US)"),
            ],
        }
    }
}

/// An inline edit as typed; only the inputs of the field being edited are read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct DetailsForm {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
}

impl DetailsForm {
    /// The form filled with the field's current value, to edit it.
    pub fn of(field: DetailField, profile: &CustomerProfile) -> Self {
        let c = &profile.customer;
        let address = match field {
            DetailField::Billing => profile.billing.as_ref(),
            DetailField::Shipping => profile.shipping.as_ref(),
            _ => None,
        };
        let mut form = DetailsForm {
            first_name: c.first_name.clone(),
            last_name: c.last_name.clone(),
            email: c.email.clone(),
            phone: c.phone.clone(),
            ..DetailsForm::default()
        };
        if let Some(a) = address {
            form.line1 = a.line1.clone();
            form.line2 = a.line2.clone();
            form.city = a.city.clone();
            form.state = a.state.clone();
            form.postal_code = a.postal_code.clone();
            form.country = a.country.clone();
        }
        form
    }

    /// The value typed in input `name`.
    pub fn value(&self, name: &str) -> &str {
        match name {
            "first_name" => &self.first_name,
            "last_name" => &self.last_name,
            "email" => &self.email,
            "phone" => &self.phone,
            "line1" => &self.line1,
            "line2" => &self.line2,
            "city" => &self.city,
            "state" => &self.state,
            "postal_code" => &self.postal_code,
            "country" => &self.country,
            _ => "",
        }
    }
}

/// A checked change of one field of the details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailsEdit {
    Name {
        first: PersonName,
        last: PersonName,
    },
    Email(Email),
    /// `None` takes the phone number off the record.
    Phone(Option<Phone>),
    Address {
        field: DetailField,
        address: Address,
    },
}

impl DetailsEdit {
    /// Checks the inputs of `field` with the parsers an order's customer goes through.
    pub fn parse(field: DetailField, form: &DetailsForm) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let edit = match field {
            DetailField::Name => {
                let first = errors.take("first_name", PersonName::parse(&form.first_name));
                let last = errors.take("last_name", PersonName::parse(&form.last_name));
                first
                    .zip(last)
                    .map(|(first, last)| DetailsEdit::Name { first, last })
            }
            DetailField::Email => errors
                .take("email", Email::parse(&form.email))
                .map(DetailsEdit::Email),
            DetailField::Phone => {
                if form.phone.trim().is_empty() {
                    Some(DetailsEdit::Phone(None))
                } else {
                    errors
                        .take("phone", Phone::parse(&form.phone))
                        .map(|p| DetailsEdit::Phone(Some(p)))
                }
            }
            DetailField::Billing | DetailField::Shipping => {
                let draft = AddressDraft {
                    line1: form.line1.clone(),
                    line2: form.line2.clone(),
                    city: form.city.clone(),
                    state: form.state.clone(),
                    postal_code: form.postal_code.clone(),
                    country: form.country.clone(),
                };
                let mut checked = FieldErrors::default();
                let address = draft.check(&mut checked);
                // The order form's names (`customer.address.city`) become this form's (`city`).
                for e in checked.iter() {
                    let name = e.field.strip_prefix("customer.address.").unwrap_or(e.field);
                    errors.push(name, e.message.clone());
                }
                address.map(|address| DetailsEdit::Address { field, address })
            }
        };
        match edit {
            Some(edit) if errors.is_empty() => Ok(edit),
            _ => Err(errors),
        }
    }

    pub fn field(&self) -> DetailField {
        match self {
            DetailsEdit::Name { .. } => DetailField::Name,
            DetailsEdit::Email(_) => DetailField::Email,
            DetailsEdit::Phone(_) => DetailField::Phone,
            DetailsEdit::Address { field, .. } => *field,
        }
    }

    /// The profile as it is after this edit.
    pub fn applied(&self, profile: &CustomerProfile) -> CustomerProfile {
        let mut after = profile.clone();
        match self {
            DetailsEdit::Name { first, last } => {
                after.customer.first_name = first.as_str().to_owned();
                after.customer.last_name = last.as_str().to_owned();
            }
            DetailsEdit::Email(email) => after.customer.email = email.as_str().to_owned(),
            DetailsEdit::Phone(phone) => {
                after.customer.phone = phone
                    .as_ref()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_default()
            }
            DetailsEdit::Address { field, address } => {
                if *field == DetailField::Billing {
                    after.billing = Some(address.clone());
                } else {
                    after.shipping = Some(address.clone());
                }
            }
        }
        after
    }
}

keyed_enum! {
    /// The tabs below a profile.
    ProfileTab {
        Orders = "orders", "Orders";
        Subscriptions = "subscriptions", "Subscriptions";
        Transactions = "transactions", "Transactions";
        Fulfillments = "fulfillments", "Fulfillments";
        Emails = "emails", "Emails";
    }
}

/// A product of an order in the Orders tab; a recurring one opens its purchase details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderProduct {
    pub name: String,
    pub subscription: Option<SubscriptionId>,
}

/// A row of the Orders tab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerOrder {
    pub id: OrderId,
    pub kind: OrderKind,
    pub status: OrderStatus,
    pub total: Money,
    pub campaign: String,
    pub created_at: DateTime<Utc>,
    pub products: Vec<OrderProduct>,
}

/// A row of the Transactions tab: the transaction with what its actions depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerTransaction {
    pub transaction: Transaction,
    pub mid_title: String,
    /// Its approved and pending refunds, summed.
    pub refunded: Money,
    /// Whether an approved or pending void reverses it.
    pub voided: bool,
}

impl CustomerTransaction {
    fn charged(&self, now: DateTime<Utc>) -> Charged {
        let t = &self.transaction;
        Charged {
            kind: t.kind,
            result: t.result,
            amount: t.amount,
            settled: t.settled(now),
            voided: self.voided,
            refunded: self.refunded,
        }
    }

    /// R-CS-1: an unsettled charge, never refunded, may be voided.
    pub fn may_void(&self, now: DateTime<Utc>) -> bool {
        self.charged(now).may_void().is_ok()
    }

    /// R-CS-2: settled money not yet all refunded may be refunded.
    pub fn may_refund(&self, now: DateTime<Utc>) -> bool {
        self.charged(now).may_refund(None).is_ok()
    }

    /// Resend Refund Email is offered on approved refunds and voids.
    pub fn is_sent_reversal(&self) -> bool {
        matches!(self.transaction.kind.key(), "refund" | "void")
            && self.transaction.result == TransactionResult::Approved
    }

    /// "Settled 2026-11-03 09:00 UTC", "Settles ...", or "—".
    pub fn settlement(&self, now: DateTime<Utc>) -> String {
        match (self.transaction.result, self.transaction.settled_at) {
            (TransactionResult::Approved, Some(at)) if at <= now => {
                format!("Settled {}", at.format("%Y-%m-%d %H:%M UTC"))
            }
            (TransactionResult::Approved, Some(at)) => {
                format!("Settles {}", at.format("%Y-%m-%d %H:%M UTC"))
            }
            _ => "—".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> SearchDraft {
        SearchDraft::default()
    }

    #[test]
    fn an_empty_search_has_no_filter() {
        let filters = SearchFilters::parse(&draft()).unwrap_or_default();
        assert!(filters.is_empty());
    }

    #[test]
    fn every_bad_filter_is_named_at_once() {
        let bad = SearchDraft {
            first_name: "\u{7}".into(),
            email: "ann@".into(),
            phone: "12".into(),
            order_id: "12a".into(),
            last4: "123".into(),
            from: "2026-02-30".into(),
            to: "yesterday".into(),
            status: "lost".into(),
            campaign: "x".into(),
            ..draft()
        };
        let errors = SearchFilters::parse(&bad).err().unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "first_name",
                "email",
                "phone",
                "order_id",
                "last4",
                "from",
                "to",
                "status",
                "campaign"
            ]
        );
    }

    #[test]
    fn a_range_ending_before_it_starts_is_refused() {
        let bad = SearchDraft {
            from: "2026-11-02".into(),
            to: "2026-11-01".into(),
            ..draft()
        };
        let errors = SearchFilters::parse(&bad).err().unwrap_or_default();
        assert!(errors.get("to").is_some());
        let good = SearchDraft {
            from: "2026-11-02".into(),
            to: "2026-11-02".into(),
            order_id: "#42".into(),
            phone: "+1 (555) 010-7788".into(),
            first_name: " ADA ".into(),
            ..draft()
        };
        let filters = SearchFilters::parse(&good).unwrap_or_default();
        assert_eq!(filters.order_id, Some(OrderId(42)));
        assert_eq!(filters.phone_digits.as_deref(), Some("15550107788"));
        assert_eq!(filters.first_name.as_deref(), Some("ada"));
        let day = filters.placed_before().zip(filters.placed_from());
        assert_eq!(day.map(|(b, f)| b - f), Some(chrono::Duration::days(1)));
    }

    #[test]
    fn a_prefix_range_ends_after_every_name_with_the_prefix() {
        assert_eq!(prefix_end("smi").as_deref(), Some("smj"));
        assert_eq!(prefix_end("a\u{10FFFF}").as_deref(), Some("b"));
        assert_eq!(prefix_end("\u{10FFFF}"), None);
        assert_eq!(prefix_end("\u{D7FF}").as_deref(), Some("\u{E000}"));
    }

    #[test]
    fn an_address_edit_names_its_own_fields() {
        let form = DetailsForm {
            line1: "1 Main St".into(),
            city: "".into(),
            postal_code: "62701".into(),
            country: "USA".into(),
            ..DetailsForm::default()
        };
        let errors = DetailsEdit::parse(DetailField::Billing, &form)
            .err()
            .unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["city", "country"]);
        let phone = DetailsEdit::parse(DetailField::Phone, &DetailsForm::default());
        assert_eq!(phone, Ok(DetailsEdit::Phone(None)));
    }
}
