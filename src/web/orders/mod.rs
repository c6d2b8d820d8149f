//! `/orders/new` (order entry: Konnektive's "Testing Your Gateway Through Order Entry") and the
//! read-only order page `/orders/{id}`. The card number and CVV typed here go to the sale
//! service and are never echoed back: a form shown again has them blank.

pub mod actions;
pub mod rerun;
pub mod reversals;
pub mod test_sale;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::FieldErrors;
use crate::domain::catalogue::{Campaign, StoredProduct};
use crate::domain::ids::{CampaignId, CustomerId, OrderId};
use crate::domain::order::{
    AddressDraft, CardDraft, CustomerDraft, ItemDraft, OrderDetails, OrderStatus, SaleDraft,
    Transaction,
};
use crate::domain::payment::TransactionResult;
use crate::error::AppError;
use crate::services::Services;
use crate::services::orders::SaleError;
use crate::web::page::{Layout, PageCtx, parse_form, render, render_status};

/// Lines the form offers; more than one product per order is the exception.
const LINES: usize = 3;

/// The order entry form as typed. The card's number and CVV are read and never kept here.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct EntryForm {
    campaign_id: String,
    #[serde(rename = "customer.first_name")]
    first_name: String,
    #[serde(rename = "customer.last_name")]
    last_name: String,
    #[serde(rename = "customer.email")]
    email: String,
    #[serde(rename = "customer.phone")]
    phone: String,
    #[serde(rename = "customer.address.line1")]
    line1: String,
    #[serde(rename = "customer.address.line2")]
    line2: String,
    #[serde(rename = "customer.address.city")]
    city: String,
    #[serde(rename = "customer.address.state")]
    state: String,
    #[serde(rename = "customer.address.postal_code")]
    postal_code: String,
    #[serde(rename = "customer.address.country")]
    country: String,
    #[serde(rename = "card.number")]
    card_number: String,
    #[serde(rename = "card.exp_month")]
    exp_month: String,
    #[serde(rename = "card.exp_year")]
    exp_year: String,
    #[serde(rename = "card.cvv")]
    cvv: String,
    /// A card on file's id, or empty (or `new`) for the card typed.
    card_on_file: String,
    /// The customer order entry was opened for (whose cards on file it offers).
    customer: String,
    ip_address: String,
    /// One entry per line, in the form's order.
    product: Vec<String>,
    quantity: Vec<String>,
    option: Vec<String>,
}

/// One line of the form as shown again.
pub struct LineView {
    pub index: usize,
    pub product: String,
    pub quantity: String,
    pub option: String,
}

impl EntryForm {
    /// The lines with a product picked, in order; their position is the `items[i]` of the
    /// sale's messages.
    fn lines(&self) -> Vec<(String, String, String)> {
        (0..self.product.len())
            .filter(|i| !self.product[*i].trim().is_empty())
            .map(|i| {
                let at = |v: &[String]| v.get(i).cloned().unwrap_or_default();
                (
                    self.product[i].clone(),
                    at(&self.quantity),
                    at(&self.option),
                )
            })
            .collect()
    }

    /// The lines to show: the filled ones first (so `items[i]` is line i), then blank ones.
    pub fn line_views(&self) -> Vec<LineView> {
        let mut lines: Vec<LineView> = self
            .lines()
            .into_iter()
            .enumerate()
            .map(|(index, (product, quantity, option))| LineView {
                index,
                product,
                quantity,
                option,
            })
            .collect();
        while lines.len() < LINES {
            lines.push(LineView {
                index: lines.len(),
                product: String::new(),
                quantity: "1".to_owned(),
                option: String::new(),
            });
        }
        lines
    }

    /// The sale as typed; numbers that do not parse become values the rules refuse with a
    /// message next to their field.
    fn draft(&self) -> (SaleDraft, FieldErrors) {
        let mut errors = FieldErrors::default();
        let campaign_id = self.campaign_id.trim().parse::<i64>().unwrap_or(0);
        let items = self
            .lines()
            .into_iter()
            .map(|(product, quantity, option)| ItemDraft {
                product_id: product.trim().parse().unwrap_or(0),
                quantity: quantity.trim().parse().unwrap_or(0),
                option: Some(option).filter(|o| !o.trim().is_empty()),
            })
            .collect();
        let address = AddressDraft {
            line1: self.line1.clone(),
            line2: self.line2.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            postal_code: self.postal_code.clone(),
            country: self.country.clone(),
        };
        if address.is_blank() {
            errors.push("customer.address.line1", "Enter the customer's address.");
        }
        let draft = SaleDraft {
            campaign_id,
            customer: CustomerDraft {
                first_name: self.first_name.clone(),
                last_name: self.last_name.clone(),
                email: self.email.clone(),
                phone: self.phone.clone(),
                address: Some(address),
            },
            card: CardDraft {
                number: self.card_number.clone(),
                exp_month: self.exp_month.clone(),
                exp_year: self.exp_year.clone(),
                cvv: self.cvv.clone(),
            },
            card_on_file: match self.card_on_file.trim() {
                "" | "new" => None,
                id => Some(id.parse().unwrap_or(0)),
            },
            items,
            ip_address: Some(self.ip_address.clone()),
        };
        (draft, errors)
    }

    /// Starts the form with a known customer's details and their newest card on file.
    fn prefill(&mut self, prefill: crate::services::orders::EntryPrefill) {
        let c = prefill.customer;
        self.customer = c.id.to_string();
        self.first_name = c.first_name;
        self.last_name = c.last_name;
        self.email = c.email;
        self.phone = c.phone;
        if let Some(a) = prefill.address {
            self.line1 = a.line1;
            self.line2 = a.line2;
            self.city = a.city;
            self.state = a.state;
            self.postal_code = a.postal_code;
            self.country = a.country;
        }
        self.card_on_file = prefill
            .cards
            .first()
            .map_or_else(String::new, |card| card.id.to_string());
    }

    /// The form as shown again: never the card number or the CVV.
    fn without_card(self) -> Self {
        Self {
            card_number: String::new(),
            cvv: String::new(),
            ..self
        }
    }
}

#[derive(Template)]
#[template(path = "pages/orders/new.html")]
struct EntryPage {
    layout: Layout,
    campaigns: Vec<(Campaign, Vec<StoredProduct>)>,
    chosen: Option<CampaignId>,
    form: EntryForm,
    lines: Vec<LineView>,
    customer_fields: Vec<TextField>,
    errors: FieldErrors,
    years: Vec<i32>,
    /// The cards on file of the customer the page was opened for.
    cards: Vec<crate::domain::order::PaymentMethod>,
}

/// A text input of the customer fieldset: name (also its id), label, value, type, autocomplete.
struct TextField {
    name: &'static str,
    label: &'static str,
    value: String,
    kind: &'static str,
    autocomplete: &'static str,
}

impl EntryForm {
    fn customer_fields(&self) -> Vec<TextField> {
        let field = |name, label, value: &String, kind, autocomplete| TextField {
            name,
            label,
            value: value.clone(),
            kind,
            autocomplete,
        };
        vec![
            field(
                "customer.first_name",
                "First name",
                &self.first_name,
                "text",
                "given-name",
            ),
            field(
                "customer.last_name",
                "Last name",
                &self.last_name,
                "text",
                "family-name",
            ),
            field("customer.email", "Email", &self.email, "email", "email"),
            field("customer.phone", "Phone", &self.phone, "tel", "tel"),
            field(
                "customer.address.line1",
                "Address",
                &self.line1,
                "text",
                "address-line1",
            ),
            field(
                "customer.address.line2",
                "Address line 2",
                &self.line2,
                "text",
                "address-line2",
            ),
            field(
                "customer.address.city",
                "City",
                &self.city,
                "text",
                "address-level2",
            ),
            field(
                "customer.address.state",
                "State or region",
                &self.state,
                "text",
                "address-level1",
            ),
            field(
                "customer.address.postal_code",
                "Postal code",
                &self.postal_code,
                "text",
                "postal-code",
            ),
            field(
                "customer.address.country",
                "Country (2 letters)",
                &self.country,
                "text",
                "country",
            ),
        ]
    }
}

impl EntryPage {
    fn products(&self) -> &[StoredProduct] {
        self.campaigns
            .iter()
            .find(|(c, _)| Some(c.id) == self.chosen)
            .map_or(&[], |(_, products)| products.as_slice())
    }

    fn item_error(&self, index: &usize) -> Option<&str> {
        ["product_id", "quantity", "option"]
            .iter()
            .find_map(|part| self.errors.get(&format!("items[{index}].{part}")))
    }

    fn item_field(&self, index: &usize, part: &str) -> String {
        format!("items[{index}].{part}")
    }
}

/// `?campaign_id=` picks the campaign whose products the lines offer.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct EntryQuery {
    campaign_id: String,
    /// Create New Order from a customer's profile: the form starts with their details and
    /// offers their cards on file.
    customer: String,
}

async fn entry_page(
    ctx: &PageCtx,
    services: &Services,
    form: EntryForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let campaigns = services.catalogue.offered().await?;
    let chosen = form
        .campaign_id
        .trim()
        .parse::<i64>()
        .ok()
        .map(CampaignId)
        .filter(|id| campaigns.iter().any(|(c, _)| c.id == *id))
        .or_else(|| campaigns.first().map(|(c, _)| c.id));
    let this_year = chrono::Datelike::year(&services.orders.now().date_naive());
    let cards = match form.customer.trim().parse::<i64>() {
        Ok(id) => services.orders.cards_on_file(CustomerId(id)).await?,
        Err(_) => Vec::new(),
    };
    let page = EntryPage {
        cards,
        layout: ctx.layout("New order", "orders"),
        campaigns,
        chosen,
        lines: form.line_views(),
        customer_fields: form.customer_fields(),
        form: form.without_card(),
        errors,
        years: (this_year..this_year + 15).collect(),
    };
    render_status(status, &page)
}

pub async fn new_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<EntryQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let mut form = EntryForm {
        campaign_id: query.campaign_id,
        country: "US".to_owned(),
        ..EntryForm::default()
    };
    if let Ok(id) = query.customer.trim().parse::<i64>() {
        let prefill = services
            .orders
            .entry_for(CustomerId(id))
            .await?
            .ok_or(AppError::NotFound)?;
        form.prefill(prefill);
    }
    entry_page(
        &ctx,
        &services,
        form,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let form: EntryForm = parse_form(&body)?;
    let (draft, read_errors) = form.draft();
    let result = if read_errors.is_empty() {
        services.orders.place(&ctx.actor()?, &draft, None).await
    } else {
        Err(SaleError::Invalid(read_errors))
    };
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    match result {
        Ok(id) => {
            let order = services.orders.details(id).await?;
            let message = match order.order.status {
                OrderStatus::Complete => format!("Order #{id} approved."),
                _ => format!("Order #{id} was declined; the routing notes say why."),
            };
            Ok(ctx.done(message, &format!("/orders/{id}")))
        }
        Err(SaleError::Invalid(errors)) => entry_page(&ctx, &services, form, errors, status).await,
        Err(SaleError::Blacklisted) => {
            let mut errors = FieldErrors::default();
            errors.push(
                "customer.email",
                "This customer is blacklisted: their orders are refused.",
            );
            entry_page(&ctx, &services, form, errors, StatusCode::CONFLICT).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "pages/orders/show.html")]
struct OrderPage {
    layout: Layout,
    details: OrderDetails,
    now: chrono::DateTime<chrono::Utc>,
    /// The viewer may refund and void.
    can_act: bool,
    /// This page's one-time key; each action form adds its transaction's id.
    key: String,
    /// R-EN-5: the MIDs a declined new sale may be rerun on (empty: no Rerun).
    rerun_mids: Vec<crate::domain::mid::Mid>,
}

impl OrderPage {
    fn settlement(&self, t: &Transaction) -> String {
        match (t.result, t.settled_at) {
            (TransactionResult::Approved, Some(at)) if at <= self.now => {
                format!("Settled {}", at.format("%Y-%m-%d %H:%M UTC"))
            }
            (TransactionResult::Approved, Some(at)) => {
                format!("Settles {}", at.format("%Y-%m-%d %H:%M UTC"))
            }
            _ => "—".to_owned(),
        }
    }

    /// Whether `t` may still be voided and refunded (R-CS-1, R-CS-2), counting its approved and
    /// pending reversals on this page.
    fn actions(&self, t: &Transaction) -> (bool, bool) {
        use crate::domain::payment::{Charged, TransactionKind};
        let reversals = || {
            self.details.transactions.iter().filter(move |r| {
                r.parent_id == Some(t.id)
                    && matches!(
                        r.result,
                        TransactionResult::Approved | TransactionResult::Pending
                    )
            })
        };
        let refunded = reversals()
            .filter(|r| r.kind == TransactionKind::Refund)
            .try_fold(
                crate::domain::money::Money::zero(t.amount.currency()),
                |sum, r| sum.checked_add(r.amount),
            );
        let Ok(refunded) = refunded else {
            return (false, false);
        };
        let charged = Charged {
            kind: t.kind,
            result: t.result,
            amount: t.amount,
            settled: t.settled(self.now),
            voided: reversals().any(|r| r.kind == TransactionKind::Void),
            refunded,
        };
        (charged.may_void().is_ok(), charged.may_refund(None).is_ok())
    }

    /// Whether the order's Refund has anything to give back (R-CS-3).
    fn can_give_back(&self) -> bool {
        self.details
            .transactions
            .iter()
            .any(|t| matches!(self.actions(t), (true, _) | (_, true)) || self.unsettled_left(t))
    }

    /// An unsettled charge partly refunded (R-CS-3's path) still has money to give back.
    fn unsettled_left(&self, t: &Transaction) -> bool {
        t.kind.takes_money() && t.result == TransactionResult::Approved && !t.settled(self.now)
    }

    /// Resend Refund Email is offered on approved refunds and voids.
    fn is_sent_reversal(&self, t: &Transaction) -> bool {
        crate::services::order_actions::is_reversal(t.kind)
            && t.result == TransactionResult::Approved
    }

    fn status_class(&self) -> &'static str {
        match self.details.order.status {
            OrderStatus::Complete => "badge ok",
            OrderStatus::Declined => "badge bad",
            _ => "badge",
        }
    }
}

/// The order a path names, with everything its summary shows; an id that is not a number or
/// not an order is 404.
pub(super) async fn details_of(services: &Services, path: &str) -> Result<OrderDetails, AppError> {
    let id = path.parse::<i64>().map_err(|_| AppError::NotFound)?;
    match services.orders.details(OrderId(id)).await {
        Ok(details) => Ok(details),
        Err(SaleError::OrderNotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

pub async fn show(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let details = details_of(&services, &path).await?;
    let id = details.order.id.0;
    let can_act = ctx
        .viewer()
        .is_ok_and(|v| v.can(crate::domain::permission::Permission::CustomersAct));
    let rerun_mids = if can_act {
        services.orders.rerun_mids(&details.order).await?
    } else {
        Vec::new()
    };
    let page = OrderPage {
        rerun_mids,
        layout: ctx.layout(format!("Order #{id}"), "customers"),
        now: services.orders.now(),
        details,
        can_act,
        key: crate::services::random_token(12)?,
    };
    render(&page)
}
