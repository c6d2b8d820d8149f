//! Customers, orders and subscriptions (SPEC 3, 4.8) as the rules see them: a new sale as typed
//! (`SaleDraft`) is checked into a `CheckedSale` with every message at once, then priced against
//! its campaign (`price_items`, R-OR-2). What the service records about routing is a list of
//! `RouteNote`s, written on the order so an agent can read why a sale went where it went.

use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, NaiveDate, Utc};

use super::FieldErrors;
use super::card::{Brand, CardError, CardNumber, CardType, Expiry, Fingerprint};
use super::catalogue::{Campaign, StoredProduct};
use super::contact::{Email, PersonName, Phone};
use super::decline::DeclineClass;
use super::ids::{
    CampaignId, CustomerId, FulfillmentId, MidId, OrderId, OrderItemId, PaymentMethodId, ProductId,
    SubscriptionId, TransactionId,
};
use super::money::Money;
use super::payment::{TransactionKind, TransactionResult};
use super::provider::Provider;
use super::sale::{PassedOver, PricedLine, order_total, price_line};

/// At most this many lines in one order.
pub const MAX_ITEMS: usize = 20;
/// At most this many of one product in one line.
pub const MAX_QUANTITY: u32 = 1000;

macro_rules! keyed_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $key:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter)]
        pub enum $name {
            $(#[strum(serialize = $key)] $variant,)*
        }

        impl $name {
            /// The stable key stored in the database and sent by the API.
            pub fn key(self) -> &'static str {
                self.into()
            }

            pub fn from_key(key: &str) -> Option<Self> {
                key.parse().ok()
            }

            pub fn label(self) -> &'static str {
                match self {
                    $($name::$variant => $label,)*
                }
            }

            /// Every variant, in declaration order.
            pub fn all() -> impl Iterator<Item = Self> {
                <Self as strum::IntoEnumIterator>::iter()
            }
        }
    };
}

pub(crate) use keyed_enum;

keyed_enum! {
    /// How an order came about.
    OrderKind {
        NewSale = "new_sale", "New sale";
        Upsale = "upsale", "Upsale";
        Recurring = "recurring", "Recurring";
    }
}

keyed_enum! {
    OrderStatus {
        Pending = "pending", "Pending";
        Complete = "complete", "Complete";
        Declined = "declined", "Declined";
        Partial = "partial", "Partially refunded";
        Refunded = "refunded", "Refunded";
        Cancelled = "cancelled", "Cancelled";
    }
}

keyed_enum! {
    /// A continuity purchase's state (SPEC 3).
    SubscriptionStatus {
        Active = "active", "Active";
        Trial = "trial", "Trial";
        Paused = "paused", "Paused";
        Cancelled = "cancelled", "Cancelled";
        Recycling = "recycling", "Recycling";
        RecycleFailed = "recycle_failed", "Recycle failed";
    }
}

keyed_enum! {
    FulfillmentStatus {
        Pending = "pending", "Pending";
        Shipped = "shipped", "Shipped";
        Delivered = "delivered", "Delivered";
        Returned = "returned", "Returned";
        Cancelled = "cancelled", "Cancelled";
    }
}

/// Field names of the order's lines as the API and the form name them (`items[2].quantity`).
/// They are `'static` like every other field name; there is one set per possible line.
macro_rules! item_fields {
    ($($i:literal)*) => {
        const ITEM_FIELDS: [[&str; 3]; MAX_ITEMS] = [
            $([
                concat!("items[", $i, "].product_id"),
                concat!("items[", $i, "].quantity"),
                concat!("items[", $i, "].option"),
            ],)*
        ];
    };
}
item_fields!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19);

fn item_field(index: usize, part: usize) -> &'static str {
    ITEM_FIELDS
        .get(index)
        .map_or("items", |fields| fields[part])
}

/// A postal address as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressDraft {
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    pub country: String,
}

/// A checked address: the required parts present, a two-letter country code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub line1: String,
    pub line2: String,
    pub city: String,
    pub state: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
}

const ADDRESS_PART_MAX: usize = 100;

impl AddressDraft {
    pub fn is_blank(&self) -> bool {
        [
            &self.line1,
            &self.line2,
            &self.city,
            &self.state,
            &self.postal_code,
            &self.country,
        ]
        .iter()
        .all(|part| part.trim().is_empty())
    }

    /// Checks the address; messages go to `customer.address.<part>`.
    pub fn check(&self, errors: &mut FieldErrors) -> Option<Address> {
        let before = errors.len();
        let mut part = |field: &'static str, value: &str, required: Option<&str>| {
            let value = value.trim();
            if value.is_empty() {
                if let Some(message) = required {
                    errors.push(field, message);
                }
            } else if value.chars().count() > ADDRESS_PART_MAX {
                errors.push(field, format!("Use at most {ADDRESS_PART_MAX} characters."));
            } else if value.chars().any(char::is_control) {
                errors.push(field, "Use letters, numbers and punctuation only.");
            }
            value.to_owned()
        };
        let line1 = part(
            "customer.address.line1",
            &self.line1,
            Some("Enter the street address."),
        );
        let line2 = part("customer.address.line2", &self.line2, None);
        let city = part("customer.address.city", &self.city, Some("Enter the city."));
        let state = part("customer.address.state", &self.state, None);
        let postal_code = part(
            "customer.address.postal_code",
            &self.postal_code,
            Some("Enter the postal code."),
        );
        let country = self.country.trim().to_ascii_uppercase();
        if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
            errors.push(
                "customer.address.country",
                "Enter the country as a two-letter code, like US or GB.",
            );
        }
        (errors.len() == before).then_some(Address {
            line1,
            line2,
            city,
            state,
            postal_code,
            country,
        })
    }
}

/// A customer as typed on an order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerDraft {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub address: Option<AddressDraft>,
}

/// A checked customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCustomer {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Email,
    pub phone: Option<Phone>,
    pub address: Option<Address>,
}

/// A card as typed. Never logged: its `Debug` shows the last 4 digits only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CardDraft {
    pub number: String,
    pub exp_month: String,
    pub exp_year: String,
    pub cvv: String,
}

impl fmt::Debug for CardDraft {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits: String = self.number.chars().filter(char::is_ascii_digit).collect();
        let last4 = digits.get(digits.len().saturating_sub(4)..).unwrap_or("");
        f.debug_struct("CardDraft")
            .field("number", &format_args!("…{last4}"))
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .finish_non_exhaustive()
    }
}

/// A card verification value: 3 or 4 digits, used for the first sale and never stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvv(String);

impl Cvv {
    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        ((3..=4).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self(raw.to_owned()))
    }

    /// The digits, for the gateway call and nothing else.
    pub fn digits(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Cvv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvv(***)")
    }
}

/// A card that passed every check, ready for the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardInput {
    pub number: CardNumber,
    pub expiry: Expiry,
    pub cvv: Cvv,
}

/// How a new sale pays: a card typed now, or a card the customer has on file (the gateway's
/// token; the number was never kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaleCard {
    New(CardInput),
    OnFile(PaymentMethodId),
}

/// One line as typed: numbers as the client sent them, checked here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemDraft {
    pub product_id: i64,
    pub quantity: i64,
    pub option: Option<String>,
}

/// One checked line: a product id, a quantity of 1 to [`MAX_QUANTITY`], an option name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRequest {
    pub product_id: ProductId,
    pub quantity: u32,
    pub option: Option<String>,
}

/// A new sale as typed (the API's body, the order entry form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleDraft {
    pub campaign_id: i64,
    pub customer: CustomerDraft,
    pub card: CardDraft,
    /// A card on file to charge instead of `card` (order entry for a known customer).
    pub card_on_file: Option<i64>,
    pub items: Vec<ItemDraft>,
    pub ip_address: Option<String>,
}

/// A new sale whose every field is valid on its own; the campaign and products are checked
/// against the catalogue by [`price_items`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedSale {
    pub campaign_id: CampaignId,
    pub customer: NewCustomer,
    pub card: SaleCard,
    pub items: Vec<ItemRequest>,
    pub ip: Option<IpAddr>,
}

/// Checks a new sale's fields, all at once. `today` (UTC) decides whether the card expired.
pub fn check_sale(draft: &SaleDraft, today: NaiveDate) -> Result<CheckedSale, FieldErrors> {
    let mut errors = FieldErrors::default();
    if draft.campaign_id <= 0 {
        errors.push("campaign_id", "Pick a campaign.");
    }
    let customer = check_customer(&draft.customer, &mut errors);
    let card = match draft.card_on_file {
        None => check_card(&draft.card, today, &mut errors).map(SaleCard::New),
        Some(id) if id > 0 => Some(SaleCard::OnFile(PaymentMethodId(id))),
        Some(_) => {
            errors.push("card_on_file", "Pick a card on file, or enter a new card.");
            None
        }
    };
    let items = check_items(&draft.items, &mut errors);
    let ip = match draft.ip_address.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => {
            let ip = raw.parse::<IpAddr>().ok();
            if ip.is_none() {
                errors.push(
                    "ip_address",
                    "Enter an IPv4 or IPv6 address, like 203.0.113.7.",
                );
            }
            ip
        }
    };
    match (customer, card, items) {
        (Some(customer), Some(card), Some(items)) if errors.is_empty() => Ok(CheckedSale {
            campaign_id: CampaignId(draft.campaign_id),
            customer,
            card,
            items,
            ip,
        }),
        _ => Err(errors),
    }
}

fn check_customer(draft: &CustomerDraft, errors: &mut FieldErrors) -> Option<NewCustomer> {
    let first_name = errors.take("customer.first_name", PersonName::parse(&draft.first_name));
    let last_name = errors.take("customer.last_name", PersonName::parse(&draft.last_name));
    let email = errors.take("customer.email", Email::parse(&draft.email));
    let phone = if draft.phone.trim().is_empty() {
        Some(None)
    } else {
        errors
            .take("customer.phone", Phone::parse(&draft.phone))
            .map(Some)
    };
    let address = match &draft.address {
        Some(address) if !address.is_blank() => address.check(errors).map(Some),
        _ => Some(None),
    };
    Some(NewCustomer {
        first_name: first_name?,
        last_name: last_name?,
        email: email?,
        phone: phone?,
        address: address?,
    })
}

fn check_card(draft: &CardDraft, today: NaiveDate, errors: &mut FieldErrors) -> Option<CardInput> {
    let number = errors.take("card.number", CardNumber::parse(&draft.number));
    let expiry = match Expiry::parse(&draft.exp_month, &draft.exp_year, today) {
        Ok(expiry) => Some(expiry),
        Err(e @ CardError::Year) => {
            errors.push("card.exp_year", e.to_string());
            None
        }
        Err(e) => {
            errors.push("card.exp_month", e.to_string());
            None
        }
    };
    let cvv = Cvv::parse(&draft.cvv);
    if cvv.is_none() {
        errors.push("card.cvv", "Enter the 3 or 4 digit security code.");
    }
    Some(CardInput {
        number: number?,
        expiry: expiry?,
        cvv: cvv?,
    })
}

/// Checks an order's lines: 1 to [`MAX_ITEMS`] of them, each with a product and a quantity of
/// 1 to [`MAX_QUANTITY`].
pub fn check_items(drafts: &[ItemDraft], errors: &mut FieldErrors) -> Option<Vec<ItemRequest>> {
    if drafts.is_empty() {
        errors.push("items", "Add at least one product.");
        return None;
    }
    if drafts.len() > MAX_ITEMS {
        errors.push("items", format!("An order has at most {MAX_ITEMS} lines."));
        return None;
    }
    let before = errors.len();
    let items: Vec<ItemRequest> = drafts
        .iter()
        .enumerate()
        .map(|(i, draft)| {
            if draft.product_id <= 0 {
                errors.push(item_field(i, 0), "Pick a product.");
            }
            let quantity = u32::try_from(draft.quantity)
                .ok()
                .filter(|q| (1..=MAX_QUANTITY).contains(q));
            if quantity.is_none() {
                errors.push(
                    item_field(i, 1),
                    format!("Enter a quantity of 1 to {MAX_QUANTITY}."),
                );
            }
            let option = draft
                .option
                .as_deref()
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned);
            ItemRequest {
                product_id: ProductId(draft.product_id),
                quantity: quantity.unwrap_or(1),
                option,
            }
        })
        .collect();
    (errors.len() == before).then_some(items)
}

/// One priced line of an order, with what the order page and the subscription need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedItem {
    pub product_id: ProductId,
    pub product_name: String,
    pub option: Option<String>,
    pub line: PricedLine,
    pub trial_days: Option<u32>,
    pub cycle_days: Option<u32>,
    pub shippable: bool,
}

/// The priced lines of an order already recorded, for a rerun (R-EN-5): its own quantities and
/// prices, with what the catalogue says about billing and shipping each product. A product no
/// longer in the catalogue is neither billed again nor shipped.
pub fn priced_from_order(items: &[OrderItem], products: &[StoredProduct]) -> Vec<PricedItem> {
    items
        .iter()
        .map(|item| {
            let product = products.iter().find(|p| p.id == item.product_id);
            let cycle_days = product.and_then(|p| p.product.cycle_days);
            let trial_days = product
                .and_then(|p| p.product.trial.map(|t| t.days))
                .filter(|_| item.trial);
            PricedItem {
                product_id: item.product_id,
                product_name: item.product_name.clone(),
                option: item.option.clone(),
                line: PricedLine {
                    quantity: item.quantity,
                    unit_price: item.unit_price,
                    price: item.price,
                    charged_now: item.charged,
                },
                trial_days,
                cycle_days,
                shippable: product.is_some_and(|p| p.product.shippable),
            }
        })
        .collect()
}

/// Prices `items` for a sale on `campaign` (R-OR-2): the campaign must be on sale, each product
/// offered by it and on sale, each option one of the product's; amounts that would overflow
/// are refused. Returns the lines and the order total.
pub fn price_items(
    campaign: &Campaign,
    products: &[StoredProduct],
    items: &[ItemRequest],
) -> Result<(Vec<PricedItem>, Money), FieldErrors> {
    let mut errors = FieldErrors::default();
    if !campaign.on_sale() {
        errors.push("campaign_id", "This campaign is not taking orders.");
        return Err(errors);
    }
    let mut priced = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let found = products.iter().find(|p| p.id == item.product_id);
        let stored = match found {
            Some(p) if campaign.products.contains(&p.id) && p.on_sale() => p,
            Some(p) if campaign.products.contains(&p.id) => {
                errors.push(item_field(i, 0), "This product is no longer sold.");
                continue;
            }
            _ => {
                errors.push(
                    item_field(i, 0),
                    "This campaign does not offer that product.",
                );
                continue;
            }
        };
        let product = &stored.product;
        if product.currency() != campaign.currency {
            errors.push(
                item_field(i, 0),
                format!(
                    "This product is priced in {}, not {}.",
                    product.currency(),
                    campaign.currency
                ),
            );
            continue;
        }
        if let Some(option) = &item.option
            && !product
                .options
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(option))
        {
            let known: Vec<&str> = product.options.iter().map(|o| o.name.as_str()).collect();
            errors.push(
                item_field(i, 2),
                if known.is_empty() {
                    format!("{} has no options.", product.name)
                } else {
                    format!("Pick one of: {}.", known.join(", "))
                },
            );
            continue;
        }
        let option = item.option.as_ref().and_then(|typed| {
            product
                .options
                .iter()
                .find(|o| o.name.eq_ignore_ascii_case(typed))
                .map(|o| o.name.clone())
        });
        match price_line(product, option.as_deref(), item.quantity) {
            Ok(line) => priced.push(PricedItem {
                product_id: stored.id,
                product_name: product.name.clone(),
                option,
                line,
                trial_days: product.trial.map(|t| t.days),
                cycle_days: product.cycle_days,
                shippable: product.shippable,
            }),
            Err(_) => errors.push(item_field(i, 1), "This quantity makes the price too large."),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let lines: Vec<PricedLine> = priced.iter().map(|p| p.line).collect();
    match order_total(&lines) {
        Ok(Some(total)) => Ok((priced, total)),
        Ok(None) => {
            errors.push("items", "Add at least one product.");
            Err(errors)
        }
        Err(_) => {
            errors.push("items", "The order total is too large.");
            Err(errors)
        }
    }
}

/// One step of routing a sale, written on the order in these words (R-EN-1, R-GW-5, R-OR-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteNote {
    /// The MID the campaign sends its sales to.
    CampaignMid { mid: String },
    /// The MID an ATRI profile picked by weight among those that could take the sale.
    AtriPicked {
        profile: String,
        mid: String,
        weight: u32,
        total_weight: u32,
    },
    /// A MID that could not take the sale, and why.
    PassedOver { mid: String, reason: PassedOver },
    /// No MID could take the sale: nothing was charged.
    NoMid,
    /// A charge and the gateway's answer.
    Charged {
        mid: String,
        amount: Money,
        result: &'static str,
        code: String,
        text: String,
        class: Option<&'static str>,
    },
    /// A soft decline cascading to the next MID.
    Cascading { to: String, via: String },
    /// A cascade step not attempted, and why (R-GW-5: no ip address for FlexFactor).
    CascadeSkipped { mid: String, reason: String },
    /// Why the decline was not cascaded at all.
    NotCascaded { reason: &'static str },
    /// A gateway that did not answer: the order records it and nothing is charged again.
    GatewayFailed { mid: String, error: String },
    /// R-EN-5: a declined new sale run again on a MID an agent chose directly.
    Rerun { mid: String, by: String },
}

impl fmt::Display for RouteNote {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteNote::CampaignMid { mid } => write!(f, "Routed to {mid}, the campaign's MID."),
            RouteNote::Rerun { mid, by } => write!(f, "Rerun on {mid}, chosen by {by}."),
            RouteNote::AtriPicked {
                profile,
                mid,
                weight,
                total_weight,
            } => write!(
                f,
                "ATRI profile {profile} picked {mid} (weight {weight} of {total_weight})."
            ),
            RouteNote::PassedOver { mid, reason } => write!(f, "{mid} passed over: {reason}."),
            RouteNote::NoMid => f.write_str("No MID could take this sale; nothing was charged."),
            RouteNote::Charged {
                mid,
                amount,
                result,
                code,
                text,
                class,
            } => {
                write!(f, "{mid}: {amount} {result} ({code} {text})")?;
                match class {
                    Some(class) => write!(f, ", {class} decline."),
                    None => f.write_str("."),
                }
            }
            RouteNote::Cascading { to, via } => write!(f, "Soft decline cascaded to {to} ({via})."),
            RouteNote::CascadeSkipped { mid, reason } => {
                write!(f, "Cascade to {mid} skipped: {reason}.")
            }
            RouteNote::NotCascaded { reason } => write!(f, "Not cascaded: {reason}."),
            RouteNote::GatewayFailed { mid, error } => {
                write!(f, "{mid} did not answer ({error}); nothing more was tried.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalogue::{Product, ProductOption, SalesRoute, Trial};
    use crate::domain::money::{Currency, MinorUnits};

    fn usd(minor: i64) -> Money {
        Money::new(MinorUnits::from_minor(minor), Currency::Usd)
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default()
    }

    fn draft() -> SaleDraft {
        SaleDraft {
            campaign_id: 1,
            customer: CustomerDraft {
                first_name: "Ada".into(),
                last_name: "Lovelace".into(),
                email: "ada@example.com".into(),
                phone: "+1 555 010 7788".into(),
                address: None,
            },
            card: CardDraft {
                number: "4111 1111 1111 1111".into(),
                exp_month: "12".into(),
                exp_year: "2030".into(),
                cvv: "123".into(),
            },
            card_on_file: None,
            items: vec![ItemDraft {
                product_id: 1,
                quantity: 2,
                option: None,
            }],
            ip_address: Some("203.0.113.7".into()),
        }
    }

    fn fields(errors: &FieldErrors) -> Vec<&'static str> {
        errors.iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_valid_sale_is_checked_whole() {
        let sale = check_sale(&draft(), today()).unwrap_or_else(|e| panic!("{e}"));
        let SaleCard::New(card) = &sale.card else {
            panic!("a new card");
        };
        assert_eq!(card.number.last4(), "1111");
        assert_eq!(sale.items[0].quantity, 2);
        assert!(sale.ip.is_some());
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let mut bad = draft();
        bad.customer.email = "not-an-email".into();
        bad.customer.phone = "call me".into();
        bad.card.number = "4111111111111112".into();
        bad.card.exp_year = "2020".into();
        bad.card.cvv = "12".into();
        bad.items = vec![
            ItemDraft {
                product_id: 1,
                quantity: 0,
                option: None,
            },
            ItemDraft {
                product_id: 1,
                quantity: -1,
                option: None,
            },
            ItemDraft {
                product_id: 1,
                quantity: 1_000_000_000_000,
                option: None,
            },
        ];
        bad.ip_address = Some("999.1.1.1".into());
        let errors = check_sale(&bad, today()).err().unwrap_or_default();
        assert_eq!(
            fields(&errors),
            [
                "customer.email",
                "customer.phone",
                "card.number",
                "card.exp_month",
                "card.cvv",
                "items[0].quantity",
                "items[1].quantity",
                "items[2].quantity",
                "ip_address",
            ]
        );
    }

    #[test]
    fn the_card_draft_never_prints_its_number() {
        let printed = format!("{:?} {:?}", draft().card, Cvv::parse("123"));
        assert!(
            !printed.contains("4111 1111 1111 1111") && !printed.contains("123"),
            "{printed}"
        );
        assert!(printed.contains("…1111"));
    }

    fn product(id: i64, price: i64) -> StoredProduct {
        StoredProduct {
            id: ProductId(id),
            product: Product {
                name: format!("Product {id}"),
                sku: format!("SKU-{id}"),
                price: usd(price),
                trial: None,
                cycle_days: None,
                options: vec![ProductOption {
                    name: "Large".into(),
                    price: Some(usd(price + 500)),
                }],
                shippable: true,
            },
            enabled: true,
            archived: false,
        }
    }

    fn campaign(products: &[i64]) -> Campaign {
        Campaign {
            id: CampaignId(1),
            name: "Demo".into(),
            currency: Currency::Usd,
            route: SalesRoute::Mid(MidId(1)),
            products: products.iter().map(|id| ProductId(*id)).collect(),
            recycling: true,
            notify: Vec::new(),
            welcome_subject: String::new(),
            welcome_body: String::new(),
            enabled: true,
            archived: false,
        }
    }

    fn item(product: i64, quantity: u32, option: Option<&str>) -> ItemRequest {
        ItemRequest {
            product_id: ProductId(product),
            quantity,
            option: option.map(str::to_owned),
        }
    }

    /// R-OR-2: an item's price is quantity x unit price, a trial charges its trial price, the
    /// total is the sum.
    #[test]
    fn r_or_2_items_are_priced_and_summed() {
        let mut trial = product(2, 4999);
        trial.product.cycle_days = Some(30);
        trial.product.trial = Some(Trial {
            days: 14,
            price: usd(199),
        });
        let (lines, total) = price_items(
            &campaign(&[1, 2]),
            &[product(1, 1000), trial],
            &[item(1, 3, Some("large")), item(2, 2, None)],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(lines[0].line.price, usd(4500));
        assert_eq!(lines[0].option.as_deref(), Some("Large"));
        assert_eq!(lines[1].line.price, usd(9998));
        assert_eq!(lines[1].line.charged_now, usd(398));
        assert_eq!(total, usd(4500 + 398));
    }

    #[test]
    fn products_outside_the_campaign_or_off_sale_are_refused() {
        let mut archived = product(2, 100);
        archived.archived = true;
        let errors = price_items(
            &campaign(&[2]),
            &[product(1, 100), archived],
            &[item(1, 1, None), item(2, 1, None), item(2, 1, Some("Tiny"))],
        )
        .err()
        .unwrap_or_default();
        assert_eq!(
            fields(&errors),
            [
                "items[0].product_id",
                "items[1].product_id",
                "items[2].product_id"
            ]
        );
        let mut off = campaign(&[1]);
        off.archived = true;
        let errors = price_items(&off, &[product(1, 100)], &[item(1, 1, None)])
            .err()
            .unwrap_or_default();
        assert_eq!(fields(&errors), ["campaign_id"]);
    }

    #[test]
    fn an_overflowing_order_is_refused_not_wrapped() {
        let huge = product(1, i64::MAX / 2);
        let errors = price_items(&campaign(&[1]), &[huge], &[item(1, 3, None)])
            .err()
            .unwrap_or_default();
        assert_eq!(fields(&errors), ["items[0].quantity"]);
    }
}

/// A blacklisted customer as the blacklist page lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlacklistedCustomer {
    pub customer_id: CustomerId,
    pub name: String,
    pub email: String,
    /// How many values (email, phone, card fingerprints) are on the list for them.
    pub entries: u32,
    pub reason: String,
    pub since: DateTime<Utc>,
}

/// At most this many customers answer a lookup.
pub const LOOKUP_LIMIT: usize = 50;

/// A customer-service lookup: any of an email, a phone as stored and a card's last 4 digits,
/// at least one of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerLookup {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub last4: Option<String>,
}

impl CustomerLookup {
    pub fn parse(email: &str, phone: &str, last4: &str) -> Result<Self, FieldErrors> {
        let given = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let lookup = Self {
            email: given(email).map(|e| e.to_lowercase()),
            phone: given(phone),
            last4: given(last4),
        };
        let mut errors = FieldErrors::default();
        if lookup.email.is_none() && lookup.phone.is_none() && lookup.last4.is_none() {
            errors.push(
                "email",
                "Give an email, a phone number or a card's last 4 digits.",
            );
        }
        if lookup
            .last4
            .as_ref()
            .is_some_and(|l| l.len() != 4 || !l.bytes().all(|b| b.is_ascii_digit()))
        {
            errors.push("last4", "Enter the card's last 4 digits.");
        }
        if errors.is_empty() {
            Ok(lookup)
        } else {
            Err(errors)
        }
    }
}

/// A customer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone: String,
    pub blacklisted: bool,
    pub created_at: DateTime<Utc>,
}

impl Customer {
    pub fn name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
    }
}

/// A card on file: what may be kept of it (R-TG-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentMethod {
    pub id: PaymentMethodId,
    pub customer_id: CustomerId,
    pub provider: Provider,
    pub token: String,
    pub brand: Brand,
    pub card_type: CardType,
    pub first6: String,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub fingerprint: Fingerprint,
}

impl PaymentMethod {
    /// "Visa …1111".
    pub fn label(&self) -> String {
        format!("{} …{}", self.brand.label(), self.last4)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub customer_id: CustomerId,
    pub campaign_id: CampaignId,
    pub parent_order_id: Option<OrderId>,
    pub payment_method_id: Option<PaymentMethodId>,
    /// The MID that took the sale, if one did.
    pub mid_id: Option<MidId>,
    pub kind: OrderKind,
    pub status: OrderStatus,
    pub total: Money,
    pub ip_address: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItem {
    pub id: OrderItemId,
    pub product_id: ProductId,
    pub product_name: String,
    pub option: Option<String>,
    pub quantity: u32,
    pub unit_price: Money,
    pub price: Money,
    pub charged: Money,
    pub trial: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderNote {
    pub body: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub id: TransactionId,
    pub order_id: OrderId,
    pub parent_id: Option<TransactionId>,
    pub mid_id: MidId,
    pub kind: TransactionKind,
    pub amount: Money,
    pub result: TransactionResult,
    pub response_code: String,
    pub response_text: String,
    pub decline_class: Option<DeclineClass>,
    pub gateway_reference: Option<String>,
    /// When the money settles or settled (R-TG-3); `None` for what never settles.
    pub settled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl Transaction {
    pub fn settled(&self, now: DateTime<Utc>) -> bool {
        self.settled_at.is_some_and(|at| at <= now)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: SubscriptionId,
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub product_id: ProductId,
    pub product_name: String,
    pub mid_id: MidId,
    pub status: SubscriptionStatus,
    pub option: Option<String>,
    pub quantity: u32,
    pub unit_price: Money,
    pub price: Money,
    pub cycle_days: u32,
    pub next_bill_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fulfillment {
    pub id: FulfillmentId,
    pub order_id: OrderId,
    pub product_name: Option<String>,
    pub status: FulfillmentStatus,
    pub tracking_number: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An order with everything the order page and the API show, read in a fixed number of
/// queries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDetails {
    pub order: Order,
    pub customer: Customer,
    pub campaign_name: String,
    pub mid_title: Option<String>,
    pub payment_method: Option<PaymentMethod>,
    pub items: Vec<OrderItem>,
    pub transactions: Vec<Transaction>,
    /// MID titles of the transactions, by id.
    pub mid_titles: Vec<(MidId, String)>,
    pub subscriptions: Vec<Subscription>,
    pub fulfillments: Vec<Fulfillment>,
    pub notes: Vec<OrderNote>,
}

impl OrderDetails {
    pub fn mid_title(&self, id: &MidId) -> &str {
        self.mid_titles
            .iter()
            .find(|(mid, _)| mid == id)
            .map_or("", |(_, title)| title.as_str())
    }
}
