//! New sales and upsales (SPEC 4.8, R-EN-1): the campaign's MID or ATRI pick (R-OR-1), MIDs
//! passed over when disabled, refusing the card or over their cap (R-MID-2, R-MID-3), soft
//! declines cascaded at once (R-EN-1, R-GW-4, R-GW-5), the blacklist checked before any
//! gateway call (R-OR-4), and the order, its transactions, subscriptions, fulfillments and
//! welcome email written together after the gateway has answered (R-OR-2, R-OR-3, R-OR-6).
//! Every step is written on the order as a note.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, NaiveDate, TimeZone, Utc};
use secrecy::{ExposeSecret, SecretSlice};
use serde_json::json;

use super::{Unexpected, field_error, random_token, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::orders::{NewOrder, NewPaymentMethod, NewSubscription, NewTransaction};
use crate::db::outbox::NewEmail;
use crate::db::{Db, DbError, Tx};
use crate::domain::FieldErrors;
use crate::domain::card::CardNumber;
use crate::domain::catalogue::{Campaign, SalesRoute, WelcomeValues, fill_placeholders};
use crate::domain::decline::DeclineClass;
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::{CustomerId, MidId, OrderId, OrderItemId, PaymentMethodId};
use crate::domain::mid::Mid;
use crate::domain::money::Money;
use crate::domain::order::{
    CheckedSale, Cvv, ItemDraft, Order, OrderDetails, OrderKind, OrderStatus, PricedItem,
    RouteNote, SaleCard, SaleDraft, SubscriptionStatus, check_items, check_sale, price_items,
};
use crate::domain::payment::{TransactionKind, TransactionResult};
use crate::domain::provider::Provider;
use crate::domain::sale::{Payment, may_take, pick_by_weight};
use crate::gateway::{GatewayError, Gateways, Instrument, Reply, SaleRequest, VoidRequest};

#[derive(Debug, thiserror::Error)]
pub enum SaleError {
    #[error("{0}")]
    Invalid(FieldErrors),
    /// R-OR-4: the email, phone or card belongs to a blacklisted customer.
    #[error("This customer cannot place orders.")]
    Blacklisted,
    #[error("No such order.")]
    OrderNotFound,
    /// R-OR-5: only an approved new sale takes upsales.
    #[error("Only an approved new sale can take an upsale.")]
    NotUpsellable,
    /// The idempotency key of this sale was used by another, already recorded.
    #[error("This request was already recorded.")]
    AlreadyRecorded,
    /// R-EN-5: only a declined new sale is rerun, and only once at a time.
    #[error("{0}")]
    NotRerunnable(&'static str),
    #[error("No such MID.")]
    MidNotFound,
    #[error("Only a test MID runs test sales.")]
    NotATestMid,
    #[error("This MID is disabled and takes no sale of any kind; enable it first.")]
    MidDisabled,
    /// The gateway did not answer; what it did is unknown.
    #[error("The gateway did not answer: {0}")]
    GatewayFailed(String),
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(SaleError {
    Invalid(_) => Invalid, "invalid",
    Blacklisted => Conflict, "customer_blacklisted",
    OrderNotFound => NotFound, "order_not_found",
    NotUpsellable => Conflict, "order_not_upsellable",
    AlreadyRecorded => Conflict, "already_recorded",
    NotRerunnable(_) => Conflict, "order_not_rerunnable",
    MidNotFound => NotFound, "mid_not_found",
    NotATestMid => Conflict, "not_a_test_mid",
    MidDisabled => Conflict, "mid_disabled",
    GatewayFailed(_) => Busy, "gateway_failed",
    Unexpected(_) => Unexpected, "unexpected",
});

impl From<FieldErrors> for SaleError {
    fn from(errors: FieldErrors) -> Self {
        SaleError::Invalid(errors)
    }
}

impl From<DbError> for SaleError {
    fn from(e: DbError) -> Self {
        SaleError::Unexpected(e.into())
    }
}

/// One charge and what came of it.
struct Attempt {
    mid: Mid,
    key: String,
    reply: Option<Reply>,
    class: Option<DeclineClass>,
}

impl Attempt {
    fn approved(&self) -> bool {
        self.reply.as_ref().is_some_and(Reply::approved)
    }
}

/// The routing of one sale: the notes written on the order and the charges made.
#[derive(Default)]
struct Routing {
    notes: Vec<RouteNote>,
    attempts: Vec<Attempt>,
    token: Option<String>,
}

impl Routing {
    fn approved(&self) -> Option<&Attempt> {
        self.attempts.iter().find(|a| a.approved())
    }
}

#[derive(Clone)]
pub struct OrderService {
    db: Db,
    clock: Arc<dyn Clock>,
    gateways: Gateways,
    fingerprint_key: Arc<SecretSlice<u8>>,
}

impl OrderService {
    pub fn new(
        db: Db,
        clock: Arc<dyn Clock>,
        gateways: Gateways,
        fingerprint_key: Arc<SecretSlice<u8>>,
    ) -> Self {
        Self {
            db,
            clock,
            gateways,
            fingerprint_key,
        }
    }

    /// The time the rules read (settlement is shown against it).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// One customer.
    pub async fn customer(
        &self,
        id: CustomerId,
    ) -> Result<Option<crate::domain::order::Customer>, Unexpected> {
        Ok(db::orders::find_customer(&self.db, id).await?)
    }

    /// Customers matching a lookup, with their cards.
    pub async fn find_customers(
        &self,
        lookup: &crate::domain::order::CustomerLookup,
    ) -> Result<Vec<(crate::domain::order::Customer, Vec<String>)>, Unexpected> {
        Ok(db::orders::find_customers(&self.db, lookup).await?)
    }

    /// The order with everything hung on it.
    pub async fn details(&self, id: OrderId) -> Result<OrderDetails, SaleError> {
        db::orders::order_details(&self.db, id)
            .await?
            .ok_or(SaleError::OrderNotFound)
    }

    /// Places a new sale. `key` makes it idempotent: the charges of a sale placed again with the
    /// same key are the gateway's first answers (R-TG-4, R-OR-6). The order is recorded whether
    /// approved or declined; refusals (invalid input, R-OR-4) record nothing.
    pub async fn place(
        &self,
        actor: &Actor,
        draft: &SaleDraft,
        key: Option<&str>,
    ) -> Result<OrderId, SaleError> {
        let now = self.clock.now();
        let sale = check_sale(draft, now.date_naive())?;
        let campaign = db::catalogue::find_campaign(&self.db, sale.campaign_id)
            .await?
            .ok_or_else(|| field_error("campaign_id", "No such campaign."))?;
        let ids: Vec<_> = sale.items.iter().map(|i| i.product_id).collect();
        let products = db::catalogue::products_by_ids(&self.db, &ids).await?;
        let (lines, total) = price_items(&campaign, &products, &sale.items)?;

        let paying = match &sale.card {
            SaleCard::New(card) => Paying::New(card),
            SaleCard::OnFile(id) => Paying::OnFile(self.card_on_file(&sale, *id).await?),
        };
        let (fingerprint, bin) = match &paying {
            Paying::New(card) => {
                let mapped = db::bins::card_type_of(&self.db, card.number.first6()).await?;
                (
                    card.number
                        .fingerprint(self.fingerprint_key.expose_secret()),
                    card.number.bin().with_mapping(mapped),
                )
            }
            Paying::OnFile(stored) => (
                stored.fingerprint.clone(),
                crate::domain::card::Bin {
                    brand: stored.brand,
                    card_type: stored.card_type,
                },
            ),
        };
        let phone = sale.customer.phone.as_ref().map_or("", |p| p.as_str());
        if db::orders::is_blacklisted(&self.db, sale.customer.email.as_str(), phone, &fingerprint)
            .await?
        {
            return Err(SaleError::Blacklisted);
        }
        let payment = Payment::Card(bin);

        let base_key = match key {
            Some(key) => key.to_owned(),
            None => random_token(16)?,
        };
        let mut routing = Routing::default();
        let instrument = match &paying {
            Paying::New(card) => Instrument::Card {
                number: &card.number,
                expiry: card.expiry,
                cvv: &card.cvv,
            },
            Paying::OnFile(stored) => Instrument::Token(&stored.token),
        };
        if let Some(first) = self
            .first_mid(&campaign, payment, total, &mut routing.notes)
            .await?
        {
            let cascade = self
                .charge(&mut routing, first, &base_key, total, instrument)
                .await?;
            if cascade {
                self.cascade(&mut routing, &base_key, total, payment, &sale, instrument)
                    .await?;
            }
        }

        let mut tx = self.db.begin().await?;
        let customer_id = self.customer_of(&mut tx, &sale, now).await?;
        let (payment_method, last4) = match &paying {
            Paying::New(card) => {
                let new = NewPaymentMethod {
                    customer_id,
                    provider: Provider::Test,
                    token: routing.token.as_deref().unwrap_or(""),
                    brand: bin.brand,
                    card_type: bin.card_type,
                    first6: card.number.first6(),
                    last4: card.number.last4(),
                    exp_month: card.expiry.month,
                    exp_year: card.expiry.year,
                    fingerprint: &fingerprint,
                };
                (
                    db::orders::insert_payment_method(&mut tx, &new, now).await?,
                    card.number.last4().to_owned(),
                )
            }
            Paying::OnFile(stored) => (stored.id, stored.last4.clone()),
        };
        let ip = sale.ip.map(|ip| ip.to_string());
        let recorded = Recorded {
            customer_id,
            payment_method,
            campaign: &campaign,
            kind: OrderKind::NewSale,
            parent: None,
            ip: ip.as_deref(),
            first_name: sale.customer.first_name.as_str(),
            email: sale.customer.email.as_str(),
        };
        let id = self
            .record(&mut tx, &recorded, &routing, &lines, total, now)
            .await?;
        let status = if routing.approved().is_some() {
            "approved"
        } else {
            "declined"
        };
        let event = NewEvent {
            kind: EventKind::OrderPlaced,
            subject: Subject::Order(id),
            change: Change::Created(json!({
                "campaign": campaign.name,
                "result": status,
                "total": total.to_string(),
                "mid": routing.approved().map(|a| a.mid.title.clone()),
                "card": format!("{} …{last4}", bin.brand.label()),
                "card_on_file": matches!(paying, Paying::OnFile(_)),
            })),
        };
        self.commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    /// The card on file `id` a sale for `sale`'s customer may be charged to: one with a token,
    /// belonging to the customer the sale's email names (a card id of another customer posted
    /// by hand is refused next to the field).
    async fn card_on_file(
        &self,
        sale: &CheckedSale,
        id: PaymentMethodId,
    ) -> Result<crate::domain::order::PaymentMethod, SaleError> {
        let not_theirs = || {
            field_error(
                "card_on_file",
                "That card is not on file for this customer.",
            )
        };
        let card = db::orders::payment_method(&self.db, id)
            .await?
            .filter(|c| !c.token.is_empty())
            .ok_or_else(not_theirs)?;
        let owner = db::orders::customer_by_email(&self.db, &sale.customer.email).await?;
        if owner != Some(card.customer_id) {
            return Err(not_theirs().into());
        }
        Ok(card)
    }

    /// What order entry is pre-filled with for a known customer: the customer, their billing
    /// address and the cards on file it may charge again. `None` for no such customer.
    pub async fn entry_for(
        &self,
        customer: CustomerId,
    ) -> Result<Option<EntryPrefill>, Unexpected> {
        let Some(found) = db::orders::find_customer(&self.db, customer).await? else {
            return Ok(None);
        };
        Ok(Some(EntryPrefill {
            address: db::orders::billing_address(&self.db, customer).await?,
            cards: db::orders::cards_on_file(&self.db, customer).await?,
            customer: found,
        }))
    }

    /// The cards on file of `customer` that order entry may charge again.
    pub async fn cards_on_file(
        &self,
        customer: CustomerId,
    ) -> Result<Vec<crate::domain::order::PaymentMethod>, Unexpected> {
        Ok(db::orders::cards_on_file(&self.db, customer).await?)
    }

    /// An upsale (R-OR-5): more items charged to the parent order's card on the MID that took
    /// the parent, never cascaded.
    pub async fn upsale(
        &self,
        actor: &Actor,
        parent: OrderId,
        items: &[ItemDraft],
        key: Option<&str>,
    ) -> Result<OrderId, SaleError> {
        let now = self.clock.now();
        let mut errors = FieldErrors::default();
        let items = check_items(items, &mut errors).ok_or(SaleError::Invalid(errors))?;
        let details = self.details(parent).await?;
        let parent_order = &details.order;
        let approved_on = parent_order.mid_id.filter(|_| {
            parent_order.kind == OrderKind::NewSale && parent_order.status == OrderStatus::Complete
        });
        let (Some(mid_id), Some(card)) = (approved_on, details.payment_method.as_ref()) else {
            return Err(SaleError::NotUpsellable);
        };
        let campaign = db::catalogue::find_campaign(&self.db, parent_order.campaign_id)
            .await?
            .ok_or_else(|| {
                DbError::corrupt("orders", parent.0, "campaign_id", parent_order.campaign_id)
            })?;
        let ids: Vec<_> = items.iter().map(|i| i.product_id).collect();
        let products = db::catalogue::products_by_ids(&self.db, &ids).await?;
        let (lines, total) = price_items(&campaign, &products, &items)?;
        let mid = db::mids::find(&self.db, mid_id)
            .await?
            .ok_or_else(|| DbError::corrupt("orders", parent.0, "mid_id", mid_id))?;

        let base_key = match key {
            Some(key) => key.to_owned(),
            None => random_token(16)?,
        };
        let mut routing = Routing::default();
        let bin_payment = Payment::Card(crate::domain::card::Bin {
            brand: card.brand,
            card_type: card.card_type,
        });
        let month = self.month_total(&mid, now).await?;
        match may_take(&mid, bin_payment, total, month) {
            Err(reason) => {
                routing.notes.push(RouteNote::PassedOver {
                    mid: mid.title.clone(),
                    reason,
                });
                routing.notes.push(RouteNote::NoMid);
            }
            Ok(()) => {
                routing.notes.push(RouteNote::CampaignMid {
                    mid: mid.title.clone(),
                });
                let instrument = Instrument::Token(&card.token);
                if self
                    .charge(&mut routing, mid, &base_key, total, instrument)
                    .await?
                {
                    routing.notes.push(RouteNote::NotCascaded {
                        reason: "upsales are never cascaded",
                    });
                }
            }
        }

        let mut tx = self.db.begin().await?;
        let recorded = Recorded {
            customer_id: details.customer.id,
            payment_method: card.id,
            campaign: &campaign,
            kind: OrderKind::Upsale,
            parent: Some(parent),
            ip: parent_order.ip_address.as_deref(),
            first_name: &details.customer.first_name,
            email: &details.customer.email,
        };
        let id = self
            .record(&mut tx, &recorded, &routing, &lines, total, now)
            .await?;
        let event = NewEvent {
            kind: EventKind::UpsalePlaced,
            subject: Subject::Order(id),
            change: Change::Created(json!({
                "parent_order": parent.0,
                "result": if routing.approved().is_some() { "approved" } else { "declined" },
                "total": total.to_string(),
            })),
        };
        self.commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    /// The MIDs a declined new sale may be rerun on (R-EN-5): enabled gateway MIDs in the
    /// order's currency; empty for any other order.
    pub async fn rerun_mids(&self, order: &Order) -> Result<Vec<Mid>, Unexpected> {
        if order.kind != OrderKind::NewSale || order.status != OrderStatus::Declined {
            return Ok(Vec::new());
        }
        let mids = db::mids::all(&self.db).await?;
        Ok(mids
            .into_iter()
            .filter(|m| {
                m.enabled && !m.provider.is_salvage_only() && m.currency == order.total.currency()
            })
            .collect())
    }

    /// R-EN-5: runs a declined new sale again on `mid_id`, a MID the agent chose directly (never
    /// through an ATRI profile, never cascaded), with the card token on file. Approved: the
    /// order completes on that MID with its subscriptions, fulfillments and welcome email.
    /// Declined: the decline is recorded beside the first. Upsales are never rerun (R-OR-5).
    /// `key` (the form's one-time token, or the API's idempotency key) charges once however
    /// often it is sent; two reruns at once charge once.
    pub async fn rerun(
        &self,
        actor: &Actor,
        order: OrderId,
        mid_id: MidId,
        key: Option<&str>,
    ) -> Result<Rerun, SaleError> {
        let details = self.details(order).await?;
        match (details.order.kind, details.order.status) {
            (OrderKind::NewSale, OrderStatus::Declined) => {}
            (OrderKind::NewSale, _) => {
                return Err(SaleError::NotRerunnable(
                    "Only a declined sale can be rerun.",
                ));
            }
            (OrderKind::Upsale, _) => {
                return Err(SaleError::NotRerunnable(
                    "A declined upsale is never rerun (R-OR-5).",
                ));
            }
            (OrderKind::Recurring, _) => {
                return Err(SaleError::NotRerunnable(
                    "Recurring declines are retried by decline salvage, not rerun.",
                ));
            }
        }
        let Some(card) = details
            .payment_method
            .as_ref()
            .filter(|c| !c.token.is_empty())
        else {
            return Err(SaleError::NotRerunnable(
                "No card is on file for this order to rerun with.",
            ));
        };
        let mid = db::mids::find(&self.db, mid_id)
            .await?
            .ok_or_else(|| field_error("mid_id", "No such MID."))?;
        if mid.provider.is_salvage_only() {
            return Err(field_error(
                "mid_id",
                "Reruns to partner MIDs arrive with the salvage engine; pick a gateway MID.",
            )
            .into());
        }
        let total = details.order.total;
        let now = self.clock.now();
        let payment = Payment::Card(crate::domain::card::Bin {
            brand: card.brand,
            card_type: card.card_type,
        });
        let month = self.month_total(&mid, now).await?;
        if let Err(reason) = may_take(&mid, payment, total, month) {
            return Err(field_error(
                "mid_id",
                format!("{} cannot take this sale: {reason}.", mid.title),
            )
            .into());
        }
        let customer = &details.customer;
        if db::orders::is_blacklisted(
            &self.db,
            &customer.email,
            &customer.phone,
            &card.fingerprint,
        )
        .await?
        {
            return Err(SaleError::Blacklisted);
        }
        let base_key = format!(
            "rerun:{order}:{}",
            match key {
                Some(key) => key.to_owned(),
                None => random_token(16)?,
            }
        );
        if db::orders::key_used(&self.db, &format!("{base_key}:1")).await? {
            return Err(SaleError::AlreadyRecorded);
        }
        if !db::order_actions::claim_rerun(&self.db, order, now).await? {
            return Err(SaleError::NotRerunnable(
                "This order is being rerun or is no longer declined.",
            ));
        }
        let mut routing = Routing::default();
        routing.notes.push(RouteNote::Rerun {
            mid: mid.title.clone(),
            by: actor.label.clone(),
        });
        let charged = self
            .charge(
                &mut routing,
                mid,
                &base_key,
                total,
                Instrument::Token(&card.token),
            )
            .await;
        let recorded = match charged {
            Ok(_) => {
                self.record_rerun(actor, &details, card.id, &routing, now)
                    .await
            }
            Err(e) => Err(e),
        };
        if recorded.is_err() {
            // Nothing of the rerun was written: the order is declined as it was.
            db::order_actions::finish_rerun(&self.db, order, None, self.clock.now()).await?;
        }
        recorded
    }

    /// Writes a rerun's charge, notes and (approved) what the sale brings about, in one
    /// transaction.
    async fn record_rerun(
        &self,
        actor: &Actor,
        details: &OrderDetails,
        payment_method: PaymentMethodId,
        routing: &Routing,
        now: DateTime<Utc>,
    ) -> Result<Rerun, SaleError> {
        let order = details.order.id;
        let total = details.order.total;
        let campaign = db::catalogue::find_campaign(&self.db, details.order.campaign_id)
            .await?
            .ok_or_else(|| {
                DbError::corrupt("orders", order.0, "campaign_id", details.order.campaign_id)
            })?;
        let ids: Vec<_> = details.items.iter().map(|i| i.product_id).collect();
        let products = db::catalogue::products_by_ids(&self.db, &ids).await?;
        let lines = crate::domain::order::priced_from_order(&details.items, &products);
        let item_ids: Vec<OrderItemId> = details.items.iter().map(|i| i.id).collect();
        let approved = routing.approved().map(|a| a.mid.id);

        let mut tx = self.db.begin().await?;
        let notes: Vec<String> = routing.notes.iter().map(ToString::to_string).collect();
        db::orders::insert_notes(&mut tx, order, &notes, now).await?;
        for attempt in &routing.attempts {
            self.record_attempt(&mut tx, order, payment_method, attempt, total, now)
                .await?;
        }
        db::order_actions::finish_rerun(&mut tx, order, approved, now).await?;
        if let Some(mid) = approved {
            let recorded = Recorded {
                customer_id: details.customer.id,
                payment_method,
                campaign: &campaign,
                kind: OrderKind::NewSale,
                parent: None,
                ip: details.order.ip_address.as_deref(),
                first_name: &details.customer.first_name,
                email: &details.customer.email,
            };
            self.fulfil(
                &mut tx, &recorded, order, &item_ids, &lines, mid, total, now,
            )
            .await?;
        }
        let reply = routing.attempts.last().and_then(|a| a.reply.as_ref());
        let event = NewEvent {
            kind: EventKind::OrderRerun,
            subject: Subject::Order(order),
            change: Change::Action(Some(json!({
                "mid": routing.attempts.last().map(|a| a.mid.title.clone()),
                "result": if approved.is_some() { "approved" } else { "declined" },
                "code": reply.map(|r| r.code.clone()),
                "total": total.to_string(),
            }))),
        };
        self.commit(tx, actor, &event, now).await?;
        Ok(Rerun {
            approved: approved.is_some(),
            response: reply
                .map(|r| format!("{} {}", r.code, r.text))
                .unwrap_or_else(|| "no answer from the gateway".to_owned()),
        })
    }

    /// The MID page's "Run a test sale": authorizes 1.00 of the MID's currency with a test
    /// card and voids it at once, recording neither as an order. Only test MIDs, and only
    /// enabled ones (R-MID-2).
    pub async fn test_sale(
        &self,
        actor: &Actor,
        mid_id: MidId,
        card: &CardNumber,
    ) -> Result<TestSale, SaleError> {
        let mid = db::mids::find(&self.db, mid_id)
            .await?
            .ok_or(SaleError::MidNotFound)?;
        if mid.provider != Provider::Test {
            return Err(SaleError::NotATestMid);
        }
        if !mid.enabled {
            return Err(SaleError::MidDisabled);
        }
        let gateway = self.gateways.for_mid(&mid).map_err(gateway_failed)?;
        let now = self.clock.now();
        let amount = Money::whole(1, mid.currency).ok_or(SaleError::NotATestMid)?;
        let key = format!("test-sale:{}", random_token(12)?);
        let cvv = Cvv::parse("123").ok_or(SaleError::NotATestMid)?;
        let expiry = crate::domain::card::Expiry {
            month: 12,
            year: now.year() + 3,
        };
        let request = SaleRequest {
            mid: &mid,
            key: &key,
            amount,
            instrument: Instrument::Card {
                number: card,
                expiry,
                cvv: &cvv,
            },
        };
        let sale = gateway.sale(request).await.map_err(gateway_failed)?;
        let void = if sale.approved() {
            let void_key = format!("{key}:void");
            let request = VoidRequest {
                mid: &mid,
                key: &void_key,
                reference: &sale.reference,
            };
            Some(gateway.void(request).await.map_err(gateway_failed)?)
        } else {
            None
        };
        let class = super::declines::class_of(&self.db, &sale, mid.provider).await?;
        let answer = |r: &Reply| format!("{} ({} {})", r.result().key(), r.code, r.text);
        let event = NewEvent {
            kind: EventKind::MidTestSale,
            subject: Subject::Mid(mid.id),
            change: Change::Action(Some(json!({
                "card": format!("{} …{}", card.bin().brand.label(), card.last4()),
                "amount": amount.to_string(),
                "sale": answer(&sale),
                "void": void.as_ref().map(answer),
            }))),
        };
        db::events::insert_alone(&self.db, actor, &event, now).await?;
        Ok(TestSale {
            amount,
            sale,
            class,
            void,
        })
    }

    async fn commit(
        &self,
        mut tx: Tx,
        actor: &Actor,
        event: &NewEvent,
        now: DateTime<Utc>,
    ) -> Result<(), SaleError> {
        db::events::insert(&mut tx, actor, event, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The MID that takes the sale first (R-OR-1): the campaign's own, or the one its ATRI
    /// profile picks by weight among those that may take it. `None` when none may.
    async fn first_mid(
        &self,
        campaign: &Campaign,
        payment: Payment,
        total: Money,
        notes: &mut Vec<RouteNote>,
    ) -> Result<Option<Mid>, SaleError> {
        let now = self.clock.now();
        match campaign.route {
            SalesRoute::Mid(id) => {
                let Some(mid) = db::mids::find(&self.db, id).await? else {
                    notes.push(RouteNote::NoMid);
                    return Ok(None);
                };
                let month = self.month_total(&mid, now).await?;
                match may_take(&mid, payment, total, month) {
                    Ok(()) => {
                        notes.push(RouteNote::CampaignMid {
                            mid: mid.title.clone(),
                        });
                        Ok(Some(mid))
                    }
                    Err(reason) => {
                        notes.push(RouteNote::PassedOver {
                            mid: mid.title,
                            reason,
                        });
                        notes.push(RouteNote::NoMid);
                        Ok(None)
                    }
                }
            }
            SalesRoute::Atri(profile_id) => {
                let profile = db::profiles::find(&self.db, profile_id).await?;
                let mut eligible: Vec<(Mid, u32)> = Vec::new();
                for member in profile.iter().flat_map(|p| &p.members) {
                    let Some(mid) = db::mids::find(&self.db, member.mid_id).await? else {
                        continue;
                    };
                    let month = self.month_total(&mid, now).await?;
                    match may_take(&mid, payment, total, month) {
                        Ok(()) => {
                            let weight = u32::try_from(member.weight).unwrap_or(0);
                            eligible.push((mid, weight));
                        }
                        Err(reason) => notes.push(RouteNote::PassedOver {
                            mid: mid.title,
                            reason,
                        }),
                    }
                }
                let weights: Vec<(MidId, u32)> = eligible.iter().map(|(m, w)| (m.id, *w)).collect();
                let total_weight: u32 = weights.iter().map(|(_, w)| *w).sum();
                let roll = random_u64()?;
                let Some(picked) = pick_by_weight(&weights, roll) else {
                    notes.push(RouteNote::NoMid);
                    return Ok(None);
                };
                let Some((mid, weight)) = eligible.into_iter().find(|(m, _)| m.id == picked) else {
                    return Ok(None);
                };
                notes.push(RouteNote::AtriPicked {
                    profile: profile.map(|p| p.name).unwrap_or_default(),
                    mid: mid.title.clone(),
                    weight,
                    total_weight,
                });
                Ok(Some(mid))
            }
        }
    }

    /// What `mid` has taken this calendar month (UTC), when it has a cap to check it against.
    async fn month_total(&self, mid: &Mid, now: DateTime<Utc>) -> Result<Money, SaleError> {
        let zero = Money::zero(mid.currency);
        if mid.monthly_cap.is_none() {
            return Ok(zero);
        }
        let start = NaiveDate::from_ymd_opt(now.year(), now.month(), 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d))
            .unwrap_or(now);
        let taken = db::orders::taken_since(&self.db, mid.id, start).await?;
        Ok(Money::new(
            crate::domain::money::MinorUnits::from_minor(taken),
            mid.currency,
        ))
    }

    /// Charges `total` on `mid` and records the attempt. Returns whether the answer is a soft
    /// decline that may cascade.
    async fn charge(
        &self,
        routing: &mut Routing,
        mid: Mid,
        base_key: &str,
        total: Money,
        instrument: Instrument<'_>,
    ) -> Result<bool, SaleError> {
        let key = format!("{base_key}:{}", routing.attempts.len() + 1);
        let instrument = match &routing.token {
            Some(token) => Instrument::Token(token),
            None => instrument,
        };
        let gateway = match self.gateways.for_mid(&mid) {
            Ok(gateway) => gateway,
            Err(e) => {
                routing.notes.push(RouteNote::CascadeSkipped {
                    mid: mid.title.clone(),
                    reason: e.to_string(),
                });
                return Ok(true);
            }
        };
        let request = SaleRequest {
            mid: &mid,
            key: &key,
            amount: total,
            instrument,
        };
        let reply = match gateway.sale(request).await {
            Ok(reply) => Some(reply),
            // The answer is unknown: ask for it by key before deciding anything (R-TG-4).
            Err(first) => match gateway.outcome(&mid, &key).await {
                Ok(Some(reply)) => Some(reply),
                Ok(None) | Err(_) => {
                    routing.notes.push(RouteNote::GatewayFailed {
                        mid: mid.title.clone(),
                        error: first.to_string(),
                    });
                    None
                }
            },
        };
        let class = match &reply {
            None => Some(DeclineClass::Soft),
            Some(reply) => super::declines::class_of(&self.db, reply, mid.provider).await?,
        };
        if let Some(reply) = &reply {
            if routing.token.is_none() {
                routing.token.clone_from(&reply.token);
            }
            routing.notes.push(RouteNote::Charged {
                mid: mid.title.clone(),
                amount: total,
                result: reply.result().key(),
                code: reply.code.clone(),
                text: reply.text.clone(),
                class: class.map(DeclineClass::key),
            });
        }
        let soft = reply.is_some() && class == Some(DeclineClass::Soft);
        if reply.is_some() && class == Some(DeclineClass::Hard) {
            routing.notes.push(RouteNote::NotCascaded {
                reason: "a hard decline is never retried",
            });
        }
        routing.attempts.push(Attempt {
            mid,
            key,
            reply,
            class,
        });
        Ok(soft)
    }

    /// R-EN-1: a soft decline goes at once down the declining MID's cascade profile, or to the
    /// `cascadeAll` MID when one is set (R-GW-4), until one approves or declines hard.
    async fn cascade(
        &self,
        routing: &mut Routing,
        base_key: &str,
        total: Money,
        payment: Payment,
        sale: &CheckedSale,
        instrument: Instrument<'_>,
    ) -> Result<(), SaleError> {
        let Some(first) = routing.attempts.first().map(|a| a.mid.clone()) else {
            return Ok(());
        };
        let now = self.clock.now();
        let (candidates, via): (Vec<MidId>, String) =
            match db::mids::cascade_all_holder(&self.db).await? {
                Some(holder) => (vec![MidId(holder.id)], "cascadeAll".to_owned()),
                None => match first.cascade_profile_id {
                    None => {
                        routing.notes.push(RouteNote::NotCascaded {
                            reason: "the MID has no cascade profile",
                        });
                        return Ok(());
                    }
                    Some(profile) => {
                        let profile = db::profiles::find(&self.db, profile).await?;
                        let name = profile.as_ref().map(|p| p.name.clone()).unwrap_or_default();
                        let mut members = profile.map(|p| p.members).unwrap_or_default();
                        members.sort_by_key(|m| m.position);
                        (
                            members.into_iter().map(|m| m.mid_id).collect(),
                            format!("cascade profile {name}"),
                        )
                    }
                },
            };
        for id in candidates {
            if routing.attempts.iter().any(|a| a.mid.id == id) {
                continue;
            }
            let Some(mid) = db::mids::find(&self.db, id).await? else {
                continue;
            };
            if mid.provider.is_salvage_only() {
                // R-GW-5: FlexFactor needs the customer's ip address.
                if mid.provider == Provider::FlexFactor && sale.ip.is_none() {
                    routing.notes.push(RouteNote::CascadeSkipped {
                        mid: mid.title,
                        reason: "no ip address".to_owned(),
                    });
                    continue;
                }
                if !mid.enabled {
                    routing.notes.push(RouteNote::PassedOver {
                        mid: mid.title,
                        reason: crate::domain::sale::PassedOver::Disabled,
                    });
                    continue;
                }
            } else {
                let month = self.month_total(&mid, now).await?;
                if let Err(reason) = may_take(&mid, payment, total, month) {
                    routing.notes.push(RouteNote::PassedOver {
                        mid: mid.title,
                        reason,
                    });
                    continue;
                }
            }
            routing.notes.push(RouteNote::Cascading {
                to: mid.title.clone(),
                via: via.clone(),
            });
            let soft = self
                .charge(routing, mid, base_key, total, instrument)
                .await?;
            if !soft {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The customer the order is for: the one with this email, else a new one.
    async fn customer_of(
        &self,
        tx: &mut Tx,
        sale: &CheckedSale,
        now: DateTime<Utc>,
    ) -> Result<CustomerId, SaleError> {
        let customer = &sale.customer;
        let id = match db::orders::customer_by_email(&mut *tx, &customer.email).await? {
            Some(id) => id,
            None => db::orders::insert_customer(&mut *tx, customer, now).await?,
        };
        if let Some(address) = &customer.address {
            for kind in ["billing", "shipping"] {
                db::customers::put_address(&mut *tx, id, kind, address).await?;
            }
        }
        Ok(id)
    }

    /// Writes the order, its lines, notes and transactions, and when approved its
    /// subscriptions, fulfillments and welcome email, in the caller's transaction (R-OR-6).
    async fn record(
        &self,
        tx: &mut Tx,
        r: &Recorded<'_>,
        routing: &Routing,
        lines: &[PricedItem],
        total: Money,
        now: DateTime<Utc>,
    ) -> Result<OrderId, SaleError> {
        let approved = routing.approved();
        let took = approved.or(routing.attempts.last()).map(|a| a.mid.id);
        let order = NewOrder {
            customer_id: r.customer_id,
            campaign_id: r.campaign.id,
            parent_order_id: r.parent,
            payment_method_id: Some(r.payment_method),
            mid_id: took,
            kind: r.kind,
            status: if approved.is_some() {
                OrderStatus::Complete
            } else {
                OrderStatus::Declined
            },
            total,
            ip_address: r.ip,
        };
        let id = db::orders::insert_order(&mut *tx, &order, now).await?;
        let mut item_ids = Vec::with_capacity(lines.len());
        for line in lines {
            item_ids.push(db::orders::insert_item(&mut *tx, id, line).await?);
        }
        let notes: Vec<String> = routing.notes.iter().map(ToString::to_string).collect();
        db::orders::insert_notes(&mut *tx, id, &notes, now).await?;
        for attempt in &routing.attempts {
            self.record_attempt(tx, id, r.payment_method, attempt, total, now)
                .await?;
        }
        if let Some(approved) = approved {
            self.fulfil(tx, r, id, &item_ids, lines, approved.mid.id, total, now)
                .await?;
        }
        Ok(id)
    }

    /// What an approved sale brings about, in the caller's transaction: one subscription per
    /// recurring line billing on `mid` (R-OR-3), a fulfillment per shippable line, and the
    /// campaign's welcome email.
    #[allow(
        clippy::too_many_arguments,
        reason = "one call site per kind of sale; a struct would only rename them"
    )]
    async fn fulfil(
        &self,
        tx: &mut Tx,
        r: &Recorded<'_>,
        id: OrderId,
        item_ids: &[OrderItemId],
        lines: &[PricedItem],
        mid: MidId,
        total: Money,
        now: DateTime<Utc>,
    ) -> Result<(), SaleError> {
        for (line, item_id) in lines.iter().zip(item_ids) {
            if let Some(cycle_days) = line.cycle_days {
                let days = line.trial_days.unwrap_or(cycle_days);
                let subscription = NewSubscription {
                    order_id: id,
                    order_item_id: *item_id,
                    customer_id: r.customer_id,
                    product_id: line.product_id,
                    mid_id: mid,
                    payment_method_id: r.payment_method,
                    status: if line.trial_days.is_some() {
                        SubscriptionStatus::Trial
                    } else {
                        SubscriptionStatus::Active
                    },
                    option: line.option.clone(),
                    quantity: line.line.quantity,
                    unit_price: line.line.unit_price,
                    price: line.line.price,
                    cycle_days,
                    next_bill_at: now.checked_add_days(Days::new(u64::from(days))),
                };
                db::orders::insert_subscription(&mut *tx, &subscription, now).await?;
            }
            if line.shippable {
                db::orders::insert_fulfillment(&mut *tx, id, *item_id, now).await?;
            }
        }
        if !r.campaign.welcome_subject.trim().is_empty() {
            let values = WelcomeValues {
                first_name: r.first_name,
                order_id: id.0,
                product: lines.first().map_or("", |l| l.product_name.as_str()),
                total,
            };
            let subject = fill_placeholders(&r.campaign.welcome_subject, &values);
            let body = fill_placeholders(&r.campaign.welcome_body, &values);
            let email = NewEmail {
                customer_id: Some(r.customer_id),
                order_id: Some(id),
                kind: "welcome",
                to: r.email,
                subject: &subject,
                body: &body,
            };
            db::outbox::queue(&mut *tx, &email, now).await?;
        }
        Ok(())
    }

    async fn record_attempt(
        &self,
        tx: &mut Tx,
        order: OrderId,
        payment_method: PaymentMethodId,
        attempt: &Attempt,
        amount: Money,
        now: DateTime<Utc>,
    ) -> Result<(), SaleError> {
        let (result, code, text, reference) = match &attempt.reply {
            Some(reply) => (
                reply.result(),
                reply.code.as_str(),
                reply.text.as_str(),
                Some(reply.reference.as_str()),
            ),
            None => (
                TransactionResult::Error,
                "",
                "no answer from the gateway",
                None,
            ),
        };
        let settled_at = attempt
            .approved()
            .then(|| now + attempt.mid.settlement_delay);
        let transaction = NewTransaction {
            order_id: order,
            parent_id: None,
            mid_id: attempt.mid.id,
            payment_method_id: Some(payment_method),
            kind: TransactionKind::Sale,
            amount,
            result,
            response_code: code,
            response_text: text,
            decline_class: attempt.class,
            gateway_reference: reference,
            idempotency_key: &attempt.key,
            settled_at,
            reason: "",
        };
        match db::orders::insert_transaction(&mut *tx, &transaction, now).await {
            Ok(_) => Ok(()),
            Err(DbError::Unique { .. }) => Err(SaleError::AlreadyRecorded),
            Err(e) => Err(e.into()),
        }
    }
}

/// What a rerun got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rerun {
    pub approved: bool,
    /// The gateway's code and text.
    pub response: String,
}

/// What a test sale got: the sale's answer, its decline class, and the void's answer when the
/// sale was approved.
#[derive(Debug, Clone)]
pub struct TestSale {
    pub amount: Money,
    pub sale: Reply,
    pub class: Option<DeclineClass>,
    pub void: Option<Reply>,
}

fn gateway_failed(e: GatewayError) -> SaleError {
    SaleError::GatewayFailed(e.to_string())
}

/// Order entry for a known customer (Create New Order on the profile).
#[derive(Debug, Clone)]
pub struct EntryPrefill {
    pub customer: crate::domain::order::Customer,
    pub address: Option<crate::domain::order::Address>,
    pub cards: Vec<crate::domain::order::PaymentMethod>,
}

/// How a checked sale pays: the card typed, or the stored card on file it named.
enum Paying<'s> {
    New(&'s crate::domain::order::CardInput),
    OnFile(crate::domain::order::PaymentMethod),
}

/// What an order is recorded with, besides its routing and lines.
struct Recorded<'a> {
    customer_id: CustomerId,
    payment_method: PaymentMethodId,
    campaign: &'a Campaign,
    kind: OrderKind,
    parent: Option<OrderId>,
    ip: Option<&'a str>,
    first_name: &'a str,
    email: &'a str,
}

fn random_u64() -> Result<u64, Unexpected> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|e| Unexpected::Random(e.to_string()))?;
    Ok(u64::from_le_bytes(bytes))
}

/// A charge of a card on file on the one MID a subscription bills on (a force bill, a skipped
/// trial): no routing and no cascade. Made by [`OrderService::charge_on_file`] and written on
/// the subscription's order by [`OrderService::record_on_file`], as a sale's charges are.
pub struct OnFileCharge {
    notes: Vec<RouteNote>,
    attempt: Attempt,
    amount: Money,
}

impl OnFileCharge {
    pub fn approved(&self) -> bool {
        self.attempt.approved()
    }

    /// The idempotency key the charge was made (and its transaction is recorded) under.
    pub fn key(&self) -> &str {
        &self.attempt.key
    }

    pub fn amount(&self) -> Money {
        self.amount
    }

    pub fn decline_class(&self) -> Option<DeclineClass> {
        self.attempt.class
    }

    /// The gateway's code and text, or that it did not answer.
    pub fn response(&self) -> String {
        self.attempt.reply.as_ref().map_or_else(
            || "no answer from the gateway".to_owned(),
            |r| format!("{} {}", r.code, r.text),
        )
    }
}

impl OrderService {
    /// Whether `mid` may take `amount` from `card` now: enabled, taking the card, under its
    /// monthly cap (R-MID-2, R-MID-3).
    pub async fn may_charge_on_file(
        &self,
        mid: &Mid,
        card: &crate::domain::order::PaymentMethod,
        amount: Money,
    ) -> Result<Result<(), crate::domain::sale::PassedOver>, SaleError> {
        let payment = Payment::Card(crate::domain::card::Bin {
            brand: card.brand,
            card_type: card.card_type,
        });
        let month = self.month_total(mid, self.clock.now()).await?;
        Ok(may_take(mid, payment, amount, month))
    }

    /// Charges `amount` to the card token `token` on `mid` alone, under `base_key` (the same
    /// key answers the gateway's first answer again: R-TG-4).
    pub async fn charge_on_file(
        &self,
        mid: Mid,
        token: &str,
        amount: Money,
        base_key: &str,
    ) -> Result<OnFileCharge, SaleError> {
        let mut routing = Routing::default();
        self.charge(
            &mut routing,
            mid,
            base_key,
            amount,
            Instrument::Token(token),
        )
        .await?;
        let Routing {
            notes,
            mut attempts,
            ..
        } = routing;
        match attempts.pop() {
            Some(attempt) => Ok(OnFileCharge {
                notes,
                attempt,
                amount,
            }),
            // No gateway could be asked (no connector for the MID's provider): nothing charged.
            None => Err(SaleError::GatewayFailed(
                notes.last().map(ToString::to_string).unwrap_or_default(),
            )),
        }
    }

    /// Writes `charge` on `order` in the caller's transaction: its notes and its transaction.
    /// `AlreadyRecorded` when its key was recorded before (the same bill sent twice).
    pub async fn record_on_file(
        &self,
        tx: &mut Tx,
        order: OrderId,
        payment_method: PaymentMethodId,
        charge: &OnFileCharge,
        now: DateTime<Utc>,
    ) -> Result<(), SaleError> {
        let notes: Vec<String> = charge.notes.iter().map(ToString::to_string).collect();
        db::orders::insert_notes(&mut *tx, order, &notes, now).await?;
        self.record_attempt(
            tx,
            order,
            payment_method,
            &charge.attempt,
            charge.amount,
            now,
        )
        .await
    }
}
