//! Purchase details (`/subscriptions/{id}`, seed 004, R-CS-6, R-CS-7), opened from a product's
//! name on the order summary and the customer's profile. Each action is a form on the page;
//! posted, it is checked (bad input comes back next to its field, 422), then confirmed on a page
//! of its own (everything here changes money or the customer's service), then made. Every form
//! names the customer the page was shown for: a subscription of another customer posted by hand
//! is not found. One file per action.

pub mod cancel;
pub mod force_bill;
pub mod next_bill;
pub mod option;
pub mod pause;
pub mod price;
pub mod show;
pub mod trial;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::FieldErrors;
use crate::domain::event::Actor;
use crate::domain::ids::{CustomerId, SubscriptionId};
use crate::domain::order::SubscriptionStatus;
use crate::domain::permission::Permission;
use crate::domain::reason::{self, ReasonKind};
use crate::domain::subscription::{Action, Purchase, TrialState};
use crate::error::AppError;
use crate::services::subscriptions::{SubscriptionError, Target};
use crate::services::{ServiceError, Services};
use crate::web::page::{FlashKind, Layout, PageCtx, render_status, see_other};

/// Any action's form as posted: the customer it was shown for, the confirmation, the one-time
/// key, and the fields of whichever action it is.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct ActionForm {
    customer: String,
    confirm: String,
    key: String,
    option: String,
    quantity: String,
    unit_price: String,
    next_bill: String,
    reason: String,
    other: String,
    until: String,
}

impl ActionForm {
    fn confirmed(&self) -> bool {
        self.confirm == "yes"
    }
}

/// The purchase details page.
#[derive(Template)]
#[template(path = "pages/subscriptions/show.html")]
struct DetailsPage {
    layout: Layout,
    p: Purchase,
    can_act: bool,
    /// The force bill's one-time key.
    key: String,
    form: ActionForm,
    errors: FieldErrors,
    today: String,
    options: Vec<String>,
}

impl DetailsPage {
    fn status_class(&self) -> &'static str {
        match self.p.subscription.status {
            SubscriptionStatus::Active | SubscriptionStatus::Trial => "badge ok",
            SubscriptionStatus::Cancelled | SubscriptionStatus::RecycleFailed => "badge bad",
            _ => "badge",
        }
    }

    fn trial_text(&self) -> String {
        match self.p.subscription.trial_state() {
            TrialState::InTrial { ends: Some(at) } => {
                format!("In its trial until {}", at.format("%Y-%m-%d"))
            }
            TrialState::InTrial { ends: None } => "In its trial".to_owned(),
            TrialState::Ended => "Trial over".to_owned(),
            TrialState::None => "No trial".to_owned(),
        }
    }

    fn in_trial(&self) -> bool {
        self.p.subscription.status == SubscriptionStatus::Trial
    }

    fn is_paused(&self) -> bool {
        self.p.subscription.status == SubscriptionStatus::Paused
    }

    fn is_cancelled(&self) -> bool {
        self.p.subscription.is_cancelled()
    }

    fn may_pause(&self) -> bool {
        matches!(
            self.p.subscription.status,
            SubscriptionStatus::Active | SubscriptionStatus::Trial
        )
    }

    /// The option the form shows selected: as posted, else the subscription's own.
    fn picked_option(&self) -> String {
        if self.form.option.is_empty() {
            self.p.subscription.option.clone().unwrap_or_default()
        } else {
            self.form.option.clone()
        }
    }

    fn quantity_value(&self) -> String {
        if self.form.quantity.is_empty() {
            self.p.subscription.quantity.to_string()
        } else {
            self.form.quantity.clone()
        }
    }

    fn unit_price_value(&self) -> String {
        if self.form.unit_price.is_empty() {
            self.p.subscription.unit_price.to_input()
        } else {
            self.form.unit_price.clone()
        }
    }

    fn next_bill_value(&self) -> String {
        if self.form.next_bill.is_empty() {
            self.p
                .subscription
                .next_bill_at
                .map(|at| at.format("%Y-%m-%d").to_string())
                .unwrap_or_default()
        } else {
            self.form.next_bill.clone()
        }
    }
}

/// "Change X?" with what the change will do, the form's values carried in hidden fields.
#[derive(Template)]
#[template(path = "pages/subscriptions/confirm.html")]
struct ConfirmChange {
    layout: Layout,
    heading: String,
    lines: Vec<String>,
    action: String,
    hidden: Vec<(&'static str, String)>,
    button: &'static str,
    back: String,
    /// The merchant's cancellation reasons, when the action asks for one here.
    reasons: Vec<String>,
    other_value: &'static str,
    form: ActionForm,
    errors: FieldErrors,
}

/// What the confirmation page of an action asks.
pub(super) struct Ask {
    pub heading: String,
    pub lines: Vec<String>,
    /// The path after `/subscriptions/{id}/`.
    pub action: &'static str,
    pub button: &'static str,
    /// The form's fields the action needs, carried to the confirmed post.
    pub fields: &'static [&'static str],
    /// Asks for a cancellation reason on the confirmation page itself.
    pub asks_reason: bool,
}

fn field_value(form: &ActionForm, name: &str) -> String {
    match name {
        "option" => form.option.clone(),
        "quantity" => form.quantity.clone(),
        "unit_price" => form.unit_price.clone(),
        "next_bill" => form.next_bill.clone(),
        "until" => form.until.clone(),
        _ => String::new(),
    }
}

/// The subscription a form is for: its id from the path, and the customer the page was shown
/// for (when the form names one).
fn target_of(path: &str, form: &ActionForm) -> Result<Target, AppError> {
    let id = path
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .map(SubscriptionId)
        .ok_or(AppError::NotFound)?;
    let customer = match form.customer.trim() {
        "" => None,
        raw => Some(
            raw.parse::<i64>()
                .map(CustomerId)
                .map_err(|_| AppError::NotFound)?,
        ),
    };
    Ok(Target::of(id, customer))
}

/// A service refusal as the browser sees it: not found is the 404 page, a state that forbids
/// the action the 409 page with its message.
fn refused(e: SubscriptionError) -> AppError {
    match e {
        SubscriptionError::NotFound => AppError::NotFound,
        SubscriptionError::Unexpected(u) => AppError::Unexpected(u),
        other => AppError::Service {
            class: other.class(),
            code: other.code(),
            message: other.to_string(),
        },
    }
}

/// The subscription and its product, for the customer the form names, with `action` allowed
/// in its state.
async fn load(
    services: &Services,
    path: &str,
    form: &ActionForm,
    action: Action,
) -> Result<(Target, Purchase), AppError> {
    let target = target_of(path, form)?;
    let purchase = services
        .subscriptions
        .purchase(target)
        .await
        .map_err(refused)?;
    services
        .subscriptions
        .check(&purchase.subscription, action)
        .map_err(refused)?;
    Ok((target, purchase))
}

/// The page, with `errors` next to their fields when the form was not valid (422).
async fn page(
    ctx: &PageCtx,
    services: &Services,
    p: Purchase,
    form: ActionForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let can_act = ctx
        .viewer
        .as_ref()
        .is_some_and(|v| v.can(Permission::CustomersAct));
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = format!(
        "Purchase #{}: {}",
        p.subscription.id, p.subscription.product_name
    );
    render_status(
        status,
        &DetailsPage {
            layout: ctx.layout(title, "customers"),
            options: p.option_names(),
            can_act,
            key: crate::services::random_token(12)?,
            today: services
                .subscriptions
                .today()
                .format("%Y-%m-%d")
                .to_string(),
            form,
            errors,
            p,
        },
    )
}

/// The confirmation page of `ask`, carrying the form's customer, key and fields; with
/// `errors` (422) when the answer to it was not valid.
async fn confirm_page(
    ctx: &PageCtx,
    services: &Services,
    p: &Purchase,
    form: &ActionForm,
    ask: Ask,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let id = p.subscription.id;
    let mut hidden = vec![
        ("customer", p.subscription.customer_id.to_string()),
        ("key", form.key.clone()),
    ];
    hidden.extend(ask.fields.iter().map(|f| (*f, field_value(form, f))));
    let reasons = if ask.asks_reason {
        services
            .reasons
            .active(ReasonKind::Cancel)
            .await?
            .into_iter()
            .map(|r| r.label)
            .collect()
    } else {
        Vec::new()
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_status(
        status,
        &ConfirmChange {
            layout: ctx.layout(ask.heading.clone(), "customers"),
            heading: ask.heading,
            lines: ask.lines,
            action: format!("/subscriptions/{id}/{}", ask.action),
            hidden,
            button: ask.button,
            back: format!("/subscriptions/{id}"),
            reasons,
            other_value: reason::OTHER,
            form: form.clone(),
            errors,
        },
    )
}

/// What a change came to, said on the page shown again: done, or (a declined bill) not.
pub(super) struct Said {
    kind: FlashKind,
    message: String,
}

impl Said {
    pub fn done(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Success,
            message: message.into(),
        }
    }

    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Error,
            message: message.into(),
        }
    }
}

/// What an action's service call came to, as the browser sees it: the page again with a
/// message, the form again with messages by its fields, or the refusal's page.
async fn answer(
    ctx: &PageCtx,
    services: &Services,
    p: Purchase,
    form: ActionForm,
    outcome: Result<Said, SubscriptionError>,
) -> Result<HttpResponse, AppError> {
    let id = p.subscription.id;
    match outcome {
        Ok(said) => {
            ctx.flash(said.kind, said.message);
            Ok(see_other(&format!("/subscriptions/{id}")))
        }
        Err(SubscriptionError::Invalid(errors)) => page(ctx, services, p, form, errors).await,
        Err(e @ (SubscriptionError::AlreadyBilled | SubscriptionError::BillingUnderWay)) => {
            Ok(ctx.refused(e.to_string(), &format!("/subscriptions/{id}")))
        }
        Err(e) => Err(refused(e)),
    }
}

/// The steps every action takes: the subscription for the form's customer, the action allowed
/// in its state, the input checked (`check` gives the confirmation's question, or the messages
/// for the page), confirmed, then made (`act`, whose message is shown on the page).
pub(super) async fn run<C, A>(
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
    form: web::Form<ActionForm>,
    action: Action,
    check: C,
    act: A,
) -> Result<HttpResponse, AppError>
where
    C: AsyncFnOnce(&Services, &Purchase, &ActionForm) -> Result<Ask, SubscriptionError>,
    A: AsyncFnOnce(&Services, Target, &ActionForm, &Actor) -> Result<Said, SubscriptionError>,
{
    let mut form = form.into_inner();
    let (target, p) = load(&services, &path, &form, action).await?;
    let ask = match check(&services, &p, &form).await {
        Ok(ask) => ask,
        Err(SubscriptionError::Invalid(errors)) => {
            return page(&ctx, &services, p, form, errors).await;
        }
        Err(e) => return Err(refused(e)),
    };
    if !form.confirmed() || form.key.trim().is_empty() {
        if form.key.trim().is_empty() {
            form.key = crate::services::random_token(12)?;
        }
        return confirm_page(&ctx, &services, &p, &form, ask, FieldErrors::default()).await;
    }
    let outcome = act(&services, target, &form, &ctx.actor()?).await;
    match outcome {
        // A reason asked on the confirmation page is answered there.
        Err(SubscriptionError::Invalid(errors)) if ask.asks_reason => {
            confirm_page(&ctx, &services, &p, &form, ask, errors).await
        }
        outcome => answer(&ctx, &services, p, form, outcome).await,
    }
}

/// The reason a cancellation form gives: one of the merchant's cancellation reasons, or Other
/// with the agent's words.
pub(super) async fn picked_reason(
    services: &Services,
    form: &ActionForm,
) -> Result<String, SubscriptionError> {
    let active = services.reasons.active(ReasonKind::Cancel).await?;
    match reason::pick(&active, &form.reason, &form.other) {
        Ok(picked) => Ok(picked),
        Err(e @ reason::PickError::OtherMissing) => Err(SubscriptionError::Invalid(
            crate::services::field_error("other", e.to_string()),
        )),
        Err(e) => Err(SubscriptionError::Invalid(crate::services::field_error(
            "reason",
            e.to_string(),
        ))),
    }
}
