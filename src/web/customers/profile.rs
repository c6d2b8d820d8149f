//! `GET /customers/{id}`: the customer's profile (seed 004): details with a pencil per field,
//! Create New Order, Start C/S Call, the History panel and the tabs Orders, Subscriptions,
//! Transactions, Fulfillments and Emails, each paged by keyset. htmx asks for one part at a
//! time (`HX-Target`: the details, the history or the tab body); a plain GET gets the page.

use actix_web::{HttpRequest, HttpResponse, web};

use super::{
    Abilities, DetailField, DetailsCard, DetailsFragment, HISTORY_PAGE, HistoryFragment,
    HistoryPanel, NoteForm, Part, ProfilePage, TAB_PAGE, TabBody, TabFragment, TabRows,
    customer_id, part_of, tab_href,
};
use crate::domain::customer::{CustomerProfile, ProfileTab};
use crate::domain::ids::{
    CustomerId, FulfillmentId, HistoryEntryId, OrderId, OutboxId, SubscriptionId, TransactionId,
};
use crate::domain::page::KeysetRequest;
use crate::error::AppError;
use crate::services::Services;
use crate::services::customers::CustomerError;
use crate::web::page::{PageCtx, render, render_status};

/// The query as sent: every part a string, so one malformed part spoils only itself.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct RawQuery {
    tab: String,
    after: String,
    history_after: String,
    focus: String,
}

/// Which tab, which pages, and which pencil to focus.
#[derive(Debug, Default)]
pub struct ProfileQuery {
    pub tab: String,
    pub after: Option<i64>,
    pub history_after: Option<i64>,
    /// The field whose pencil takes focus (after an inline edit is cancelled).
    pub focus: String,
}

pub fn not_found(e: CustomerError) -> AppError {
    match e {
        CustomerError::NotFound => AppError::NotFound,
        other => other.into(),
    }
}

/// The History panel's page after `after` (the newest without).
pub async fn history_panel(
    services: &Services,
    ctx: &PageCtx,
    customer: CustomerId,
    tab: ProfileTab,
    after: Option<i64>,
) -> Result<HistoryPanel, AppError> {
    let page = services
        .customers
        .history(
            customer,
            KeysetRequest {
                after: after.map(HistoryEntryId),
                size: HISTORY_PAGE,
            },
        )
        .await?;
    let base = format!("/customers/{customer}?tab={}", tab.key());
    Ok(HistoryPanel {
        customer_id: customer,
        older_href: page.next.map(|k| format!("{base}&history_after={k}")),
        newest_href: after.map(|_| base.clone()),
        page,
        can_act: Abilities::of(ctx).act,
        note: NoteForm::new(customer, &ctx.csrf, true),
        said: None,
    })
}

/// One page of `tab`.
pub async fn tab_body(
    services: &Services,
    ctx: &PageCtx,
    customer: CustomerId,
    tab: ProfileTab,
    after: Option<i64>,
) -> Result<TabBody, AppError> {
    let c = &services.customers;
    let rows = match tab {
        ProfileTab::Orders => TabRows::Orders(
            c.orders(
                customer,
                KeysetRequest {
                    after: after.map(OrderId),
                    size: TAB_PAGE,
                },
            )
            .await?,
        ),
        ProfileTab::Subscriptions => TabRows::Subscriptions(
            c.subscriptions(
                customer,
                KeysetRequest {
                    after: after.map(SubscriptionId),
                    size: TAB_PAGE,
                },
            )
            .await?,
        ),
        ProfileTab::Transactions => TabRows::Transactions(
            c.transactions(
                customer,
                KeysetRequest {
                    after: after.map(TransactionId),
                    size: TAB_PAGE,
                },
            )
            .await?,
        ),
        ProfileTab::Fulfillments => TabRows::Fulfillments(
            c.fulfillments(
                customer,
                KeysetRequest {
                    after: after.map(FulfillmentId),
                    size: TAB_PAGE,
                },
            )
            .await?,
        ),
        ProfileTab::Emails => TabRows::Emails(
            services
                .emails
                .for_customer(
                    customer,
                    KeysetRequest {
                        after: after.map(OutboxId),
                        size: TAB_PAGE,
                    },
                )
                .await?,
        ),
    };
    Ok(TabBody {
        customer_id: customer,
        tab,
        tabs: ProfileTab::all()
            .map(|t| (t, tab_href(customer, t, None), t == tab))
            .collect(),
        older_href: rows.next().map(|k| tab_href(customer, tab, Some(k))),
        newest_href: after.map(|_| tab_href(customer, tab, None)),
        rows,
        now: c.now(),
        can_act: Abilities::of(ctx).act,
        csrf: ctx.csrf.clone(),
        key: crate::services::random_token(12)?,
    })
}

/// What the full page shows besides the defaults: a field open for editing, and its form.
#[derive(Default)]
pub struct Shown {
    pub editing: Option<DetailField>,
    pub details: Option<DetailsCard>,
    pub history: Option<HistoryPanel>,
}

/// The whole profile page, with `status`.
pub async fn full_page(
    services: &Services,
    ctx: &PageCtx,
    profile: CustomerProfile,
    query: &ProfileQuery,
    shown: Shown,
    status: actix_web::http::StatusCode,
) -> Result<HttpResponse, AppError> {
    let id = profile.customer.id;
    let can = Abilities::of(ctx);
    let tab = ProfileTab::from_key(&query.tab).unwrap_or(ProfileTab::Orders);
    let history = match shown.history {
        Some(history) => history,
        None => history_panel(services, ctx, id, tab, query.history_after).await?,
    };
    let tab = tab_body(services, ctx, id, tab, query.after).await?;
    let details = match shown.details {
        Some(details) => details,
        None => DetailsCard::new(&profile, shown.editing, None, can.act, &ctx.csrf),
    };
    render_status(
        status,
        &ProfilePage {
            layout: ctx.layout(profile.customer.name(), "customers"),
            profile,
            details,
            history,
            tab,
            can,
        },
    )
}

pub async fn show(
    req: HttpRequest,
    ctx: PageCtx,
    services: web::Data<Services>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = customer_id(&path)?;
    // Read leniently: a malformed page key shows the newest page, not a 400.
    let raw: RawQuery = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    let key = |k: &str| k.parse::<i64>().ok().filter(|k| *k > 0);
    let query = ProfileQuery {
        after: key(&raw.after),
        history_after: key(&raw.history_after),
        tab: raw.tab,
        focus: raw.focus,
    };
    let profile = services.customers.profile(id).await.map_err(not_found)?;
    let tab = ProfileTab::from_key(&query.tab).unwrap_or(ProfileTab::Orders);
    match part_of(&req) {
        Some(Part::Details) => render(&DetailsFragment {
            details: DetailsCard::new(
                &profile,
                None,
                DetailField::from_key(&query.focus),
                Abilities::of(&ctx).act,
                &ctx.csrf,
            ),
        }),
        Some(Part::History) => render(&HistoryFragment {
            history: history_panel(&services, &ctx, id, tab, query.history_after).await?,
        }),
        Some(Part::Tab) => render(&TabFragment {
            tab: tab_body(&services, &ctx, id, tab, query.after).await?,
        }),
        None => {
            full_page(
                &services,
                &ctx,
                profile,
                &query,
                Shown::default(),
                actix_web::http::StatusCode::OK,
            )
            .await
        }
    }
}
