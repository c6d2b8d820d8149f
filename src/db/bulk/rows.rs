//! The rows a bulk load writes, one struct per table: plain values with the ids the loader
//! chose.

use chrono::{DateTime, Utc};

use crate::domain::card::{Brand, CardType};
use crate::domain::decline::DeclineClass;
use crate::domain::money::Currency;
use crate::domain::order::{FulfillmentStatus, OrderKind, OrderStatus, SubscriptionStatus};
use crate::domain::payment::{TransactionKind, TransactionResult};
use crate::domain::test_gateway::{ChargeResult, Scenario};

pub struct CustomerRow {
    pub id: i64,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
    pub phone: String,
    pub blacklisted: bool,
    pub created_at: DateTime<Utc>,
}

pub struct AddressRow {
    pub customer_id: i64,
    /// `billing` or `shipping`.
    pub kind: &'static str,
    pub line1: String,
    pub line2: String,
    pub city: &'static str,
    pub state: &'static str,
    pub postal_code: String,
    pub country: &'static str,
}

pub struct PaymentMethodRow {
    pub id: i64,
    pub customer_id: i64,
    pub token: String,
    pub brand: Brand,
    pub card_type: CardType,
    pub first6: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub fingerprint: String,
    pub created_at: DateTime<Utc>,
}

/// The test gateway's vault entry for a token: its scenario and how many charges it has seen.
pub struct TokenRow {
    pub token: String,
    pub scenario: Scenario,
    pub charges: i64,
    pub created_at: DateTime<Utc>,
}

pub struct BlacklistRow {
    pub id: i64,
    pub customer_id: i64,
    pub value: String,
    pub reason: &'static str,
    pub created_at: DateTime<Utc>,
}

pub struct OrderRow {
    pub id: i64,
    pub customer_id: i64,
    pub campaign_id: i64,
    pub parent_order_id: Option<i64>,
    pub payment_method_id: Option<i64>,
    pub mid_id: Option<i64>,
    pub kind: OrderKind,
    pub status: OrderStatus,
    pub currency: Currency,
    pub total_minor: i64,
    pub ip_address: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct ItemRow {
    pub id: i64,
    pub order_id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub option_name: Option<String>,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub price_minor: i64,
    pub charged_minor: i64,
    pub trial: bool,
}

pub struct NoteRow {
    pub id: i64,
    pub order_id: i64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub struct TransactionRow {
    pub id: i64,
    pub order_id: i64,
    pub mid_id: i64,
    pub payment_method_id: i64,
    pub kind: TransactionKind,
    pub amount_minor: i64,
    pub currency: Currency,
    pub result: TransactionResult,
    pub response_code: &'static str,
    pub response_text: &'static str,
    pub decline_class: Option<DeclineClass>,
    pub gateway_reference: String,
    pub idempotency_key: String,
    pub settled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A sale as the test gateway recorded it (operation `sale`).
pub struct GatewaySaleRow {
    pub idempotency_key: String,
    pub mid_id: i64,
    pub token: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub result: ChargeResult,
    pub response_code: &'static str,
    pub response_text: &'static str,
    pub advice_code: Option<&'static str>,
    pub reference: String,
    pub created_at: DateTime<Utc>,
}

pub struct SubscriptionRow {
    pub id: i64,
    pub order_id: i64,
    pub order_item_id: i64,
    pub customer_id: i64,
    pub product_id: i64,
    pub mid_id: i64,
    pub payment_method_id: i64,
    pub status: SubscriptionStatus,
    pub option_name: Option<String>,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub price_minor: i64,
    pub currency: Currency,
    pub cycle_days: i64,
    pub next_bill_at: Option<DateTime<Utc>>,
    pub paused_until: Option<DateTime<Utc>>,
    pub cancel_reason: Option<&'static str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct FulfillmentRow {
    pub id: i64,
    pub order_id: i64,
    pub order_item_id: i64,
    pub status: FulfillmentStatus,
    pub tracking_number: Option<String>,
    pub reason: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
