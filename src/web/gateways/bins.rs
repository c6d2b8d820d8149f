//! `/gateways/bins`: the merchant's debit and prepaid BINs (Konnektive's "PrePaid BIN Mapping"),
//! with the built-in BIN table shown beside them.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::FieldErrors;
use crate::domain::card::{BUILT_IN_BINS, BinNumber, BinRange, BinRangeDraft, CardType};
use crate::domain::ids::BinRangeId;
use crate::domain::page::{Page, PageRequest};
use crate::error::AppError;
use crate::services::Services;
use crate::services::bins::BinRangeError;
use crate::web::page::{ConfirmForm, ConfirmPage, Layout, PageCtx, render, render_status};

const HERE: &str = "/gateways/bins";

/// The add form as typed.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct BinForm {
    pub bin: String,
    pub card_type: String,
    pub note: String,
}

/// The list's search and page, kept in the URL.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// The first digits of the BINs to list.
    q: String,
    page: String,
}

impl ListQuery {
    fn filtered(&self) -> bool {
        !self.q.trim().is_empty()
    }

    /// The pager's links: this search, then `page=`.
    fn pager_base(&self) -> String {
        let q = self.q.trim();
        if q.is_empty() {
            format!("{HERE}?")
        } else {
            format!(
                "{HERE}?{}&",
                serde_urlencoded::to_string([("q", q)]).unwrap_or_default()
            )
        }
    }
}

#[derive(Template)]
#[template(path = "pages/gateways/bins.html")]
struct BinsPage {
    layout: Layout,
    rows: Vec<BinRange>,
    page: Page<()>,
    pager_base: String,
    query: ListQuery,
    /// The search's own message, when it is not a BIN prefix.
    search_errors: FieldErrors,
    built_in: &'static [(&'static str, CardType)],
    new: BinForm,
    errors: FieldErrors,
}

async fn page(
    ctx: &PageCtx,
    services: &Services,
    query: ListQuery,
    new: BinForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let mut search_errors = FieldErrors::default();
    let range = if query.filtered() {
        search_errors.take("q", BinNumber::prefix_range(&query.q))
    } else {
        Some(BinNumber::full_range())
    };
    let request = PageRequest::new(query.page.parse().ok(), PageRequest::DEFAULT_SIZE);
    let found = match &range {
        Some((from, to)) => services.bins.list((from, to), request).await?,
        None => Page::empty(request.size),
    };
    let Page {
        items,
        number,
        size,
        total,
    } = found;
    let page = BinsPage {
        layout: ctx.layout("PrePaid BIN mapping", "gateways"),
        rows: items,
        page: Page {
            items: Vec::new(),
            number,
            size,
            total,
        },
        pager_base: query.pager_base(),
        query,
        search_errors,
        built_in: BUILT_IN_BINS,
        new,
        errors,
    };
    render_status(status, &page)
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let new = BinForm {
        card_type: CardType::Prepaid.key().to_owned(),
        ..BinForm::default()
    };
    page(
        &ctx,
        &services,
        query.into_inner(),
        new,
        FieldErrors::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    form: web::Form<BinForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let result = match BinRangeDraft::parse(&form.bin, &form.card_type, &form.note) {
        Ok(draft) => services.bins.create(&ctx.actor()?, &draft).await,
        Err(errors) => Err(BinRangeError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(ctx.done(format!("BIN {} mapped.", form.bin.trim()), HERE)),
        Err(e) => match e.field_errors() {
            Some(errors) => {
                page(
                    &ctx,
                    &services,
                    ListQuery::default(),
                    form,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            None => Err(e.into()),
        },
    }
}

/// Asks on a page first; removes on `confirm=yes`.
pub async fn delete(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    form: web::Form<ConfirmForm>,
) -> Result<HttpResponse, AppError> {
    let row = services.bins.find(BinRangeId(*id)).await?;
    if !form.confirmed() {
        let message = match row.bin.built_in() {
            Some(built_in) => format!(
                "Cards with this BIN are read as {} again, as the built-in table says, instead of {}.",
                built_in.key(),
                row.card_type.key()
            ),
            None => format!(
                "Cards with this BIN are read as credit again instead of {}: the built-in table does not list it.",
                row.card_type.key()
            ),
        };
        let page = ConfirmPage {
            layout: ctx.layout("Remove BIN mapping", "gateways"),
            heading: format!("Remove the mapping for BIN {}?", row.bin),
            message,
            blockers: Vec::new(),
            action: format!("{HERE}/{}/delete", row.id),
            button: "Remove BIN mapping",
            back: HERE.to_owned(),
        };
        return render(&page);
    }
    services.bins.delete(&ctx.actor()?, row.id).await?;
    Ok(ctx.done(format!("BIN {} mapping removed.", row.bin), HERE))
}
