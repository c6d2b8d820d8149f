//! Add and edit a product. Options are rows of name and price; the form always has a few empty
//! rows, and an "Add another option" button reloads it with one more (no JavaScript needed).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::domain::FieldErrors;
use crate::domain::catalogue::{
    CYCLE_MAX_DAYS, OPTIONS_MAX, ProductDraft, ProductOption, StoredProduct, TRIAL_MAX_DAYS, Trial,
    validate_product,
};
use crate::domain::ids::ProductId;
use crate::domain::money::{Currency, Money, MoneyError};
use crate::error::AppError;
use crate::services::Services;
use crate::services::catalogue::CatalogueError;
use crate::web::page::{Layout, PageCtx, parse_form, render_status};

/// Empty option rows under the filled ones.
const BLANK_OPTION_ROWS: usize = 2;

/// The typed product form, every field as a string (checkboxes are present when ticked).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProductForm {
    pub name: String,
    pub sku: String,
    pub currency: String,
    pub price: String,
    pub recurring: Option<String>,
    pub cycle_days: String,
    pub trial_days: String,
    pub trial_price: String,
    /// One per option row, paired by position with `option_price`.
    pub option_name: Vec<String>,
    pub option_price: Vec<String>,
    pub shippable: Option<String>,
    /// Present when "Add another option" was pressed: show the form again with a new row.
    pub more_options: Option<String>,
}

/// An amount typed in major units ("19.99"): 0 or more, with at most the currency's decimals.
fn amount(raw: &str, currency: Currency, what: &str) -> Result<Money, String> {
    let raw = raw.trim();
    let example = match currency.exponent() {
        0 => "1999",
        3 => "19.990",
        _ => "19.99",
    };
    if raw.is_empty() {
        return Err(format!("Enter {what}, like {example}."));
    }
    if raw.starts_with('-') {
        return Err(format!("Enter {what} of 0 or more."));
    }
    Money::parse(raw, currency).map_err(|e| match e {
        MoneyError::Invalid => {
            format!("Enter {what} in {currency} as digits with at most one decimal point, like {example}.")
        }
        other => other.to_string(),
    })
}

/// A whole number of days, or the domain's own message for a number out of range.
fn days(raw: &str, example: &str, out_of_range: String) -> Result<u32, String> {
    match raw.trim().parse::<i64>() {
        Ok(n) => u32::try_from(n).map_err(|_| out_of_range),
        Err(_) => Err(format!("Enter a whole number of days, like {example}.")),
    }
}

impl ProductForm {
    /// The draft this form describes, with every message about what could not be read (a value
    /// that could not be read is replaced by a stand-in the rules then ignore).
    pub fn read(&self) -> (ProductDraft, FieldErrors) {
        let mut errors = FieldErrors::default();
        let currency = Currency::from_code(&self.currency).unwrap_or_else(|| {
            errors.push("currency", "Pick a currency from the list.");
            Currency::default()
        });
        let price = errors
            .take("price", amount(&self.price, currency, "a price"))
            .unwrap_or_else(|| Money::zero(currency));
        let cycle_days = if self.recurring.is_some() {
            if self.cycle_days.trim().is_empty() {
                errors.push(
                    "cycle_days",
                    "Enter how many days apart the charges are, like 30.",
                );
                None
            } else {
                let range = format!("A billing cycle is 1 to {CYCLE_MAX_DAYS} days.");
                errors.take("cycle_days", days(&self.cycle_days, "30", range))
            }
        } else {
            None
        };
        let trial = match (self.trial_days.trim(), self.trial_price.trim()) {
            ("", "") => None,
            ("", _) => {
                errors.push(
                    "trial_days",
                    "Enter the trial's length in days, or clear the trial price.",
                );
                None
            }
            (raw_days, raw_price) => {
                let range = format!("A trial lasts 1 to {TRIAL_MAX_DAYS} days.");
                let days = errors.take("trial_days", days(raw_days, "14", range));
                let price = if raw_price.is_empty() {
                    Some(Money::zero(currency))
                } else {
                    errors.take("trial_price", amount(raw_price, currency, "a trial price"))
                };
                days.map(|days| Trial {
                    days,
                    price: price.unwrap_or_else(|| Money::zero(currency)),
                })
            }
        };
        let mut options = Vec::new();
        for (name, raw_price) in self.option_rows() {
            if name.trim().is_empty() && raw_price.trim().is_empty() {
                continue;
            }
            let price = if raw_price.trim().is_empty() {
                None
            } else {
                match amount(&raw_price, currency, "a price") {
                    Ok(price) => Some(price),
                    Err(e) => {
                        let label = if name.trim().is_empty() {
                            "An option".to_owned()
                        } else {
                            format!("Option “{}”", name.trim())
                        };
                        errors.push("options", format!("{label}: {e}"));
                        None
                    }
                }
            };
            options.push(ProductOption { name, price });
        }
        let draft = ProductDraft {
            name: self.name.clone(),
            sku: self.sku.clone(),
            price,
            trial,
            cycle_days,
            options,
            shippable: self.shippable.is_some(),
        };
        (draft, errors)
    }

    /// The draft, or every message at once: what could not be read and what breaks a rule that
    /// needs no database.
    pub fn draft(&self) -> Result<ProductDraft, FieldErrors> {
        let (draft, errors) = self.read();
        if errors.is_empty() {
            return Ok(draft);
        }
        Err(errors.and_later(validate_product(&draft).err().unwrap_or_default()))
    }

    /// The option rows as typed, names paired with prices by position.
    fn option_rows(&self) -> Vec<(String, String)> {
        let rows = self.option_name.len().max(self.option_price.len());
        (0..rows)
            .map(|i| {
                (
                    self.option_name.get(i).cloned().unwrap_or_default(),
                    self.option_price.get(i).cloned().unwrap_or_default(),
                )
            })
            .collect()
    }

    /// The rows the form shows: those typed, then `blank` empty ones, at most the maximum.
    fn rows_with_blanks(&self, blank: usize) -> Vec<(String, String)> {
        let mut rows: Vec<(String, String)> = self
            .option_rows()
            .into_iter()
            .filter(|(n, p)| !(n.trim().is_empty() && p.trim().is_empty()))
            .collect();
        let room = OPTIONS_MAX.saturating_sub(rows.len()).min(blank);
        rows.extend(std::iter::repeat_n((String::new(), String::new()), room));
        rows
    }
}

/// The stored product as form values.
fn form_of(stored: &StoredProduct) -> ProductForm {
    let p = &stored.product;
    ProductForm {
        name: p.name.clone(),
        sku: p.sku.clone(),
        currency: p.currency().code().to_owned(),
        price: p.price.to_input(),
        recurring: p.cycle_days.map(|_| "on".to_owned()),
        cycle_days: p.cycle_days.map(|d| d.to_string()).unwrap_or_default(),
        trial_days: p.trial.map(|t| t.days.to_string()).unwrap_or_default(),
        trial_price: p.trial.map(|t| t.price.to_input()).unwrap_or_default(),
        option_name: p.options.iter().map(|o| o.name.clone()).collect(),
        option_price: p
            .options
            .iter()
            .map(|o| o.price.map(Money::to_input).unwrap_or_default())
            .collect(),
        shippable: p.shippable.then(|| "on".to_owned()),
        more_options: None,
    }
}

/// One option row of the form.
pub struct OptionRow {
    /// 1-based, for ids and labels.
    pub number: usize,
    pub name: String,
    pub price: String,
    /// The row "Add another option" added: it takes focus.
    pub focus: bool,
}

#[derive(Template)]
#[template(path = "pages/catalogue/product_form.html")]
struct FormPage {
    layout: Layout,
    product_id: Option<ProductId>,
    form: ProductForm,
    options: Vec<OptionRow>,
    errors: FieldErrors,
    currencies: Vec<Currency>,
}

fn form_page(
    ctx: &PageCtx,
    product_id: Option<ProductId>,
    form: ProductForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let adding = form.more_options.is_some();
    let typed = form
        .option_rows()
        .iter()
        .filter(|(n, p)| !(n.trim().is_empty() && p.trim().is_empty()))
        .count();
    let blank = if adding {
        // One more empty row than were sent.
        form.option_rows().len() - typed + 1
    } else {
        BLANK_OPTION_ROWS
    };
    let options = form
        .rows_with_blanks(blank.max(1))
        .into_iter()
        .enumerate()
        .map(|(i, (name, price))| OptionRow {
            number: i + 1,
            focus: adding && i == typed,
            name,
            price,
        })
        .collect();
    let title = match product_id {
        Some(_) => format!("Edit product {}", form.name.trim()),
        None => "New product".to_owned(),
    };
    let page = FormPage {
        layout: ctx.layout(title, "catalogue"),
        product_id,
        options,
        form,
        errors,
        currencies: Currency::all().collect(),
    };
    render_status(status, &page)
}

pub async fn new_form(ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let form = ProductForm {
        currency: Currency::default().code().to_owned(),
        shippable: Some("on".to_owned()),
        ..ProductForm::default()
    };
    form_page(&ctx, None, form, FieldErrors::default(), StatusCode::OK)
}

pub async fn create(
    ctx: PageCtx,
    services: web::Data<Services>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    save(&ctx, &services, None, parse_form::<ProductForm>(&body)?).await
}

pub async fn edit_form(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let product = services.catalogue.find_product(ProductId(*id)).await?;
    if product.archived {
        return Err(CatalogueError::ProductArchived(product.product.name).into());
    }
    form_page(
        &ctx,
        Some(product.id),
        form_of(&product),
        FieldErrors::default(),
        StatusCode::OK,
    )
}

pub async fn update(
    ctx: PageCtx,
    services: web::Data<Services>,
    id: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let product = services.catalogue.find_product(ProductId(*id)).await?;
    save(
        &ctx,
        &services,
        Some(product.id),
        parse_form::<ProductForm>(&body)?,
    )
    .await
}

/// Saves (creating when `id` is `None`) and redirects to the list, or shows the form again with
/// every message; "Add another option" shows it again with one more row and saves nothing.
async fn save(
    ctx: &PageCtx,
    services: &Services,
    id: Option<ProductId>,
    form: ProductForm,
) -> Result<HttpResponse, AppError> {
    if form.more_options.is_some() {
        return form_page(ctx, id, form, FieldErrors::default(), StatusCode::OK);
    }
    let (draft, read_errors) = form.read();
    let result = if read_errors.is_empty() {
        match id {
            Some(id) => {
                services
                    .catalogue
                    .update_product(&ctx.actor()?, id, &draft)
                    .await
            }
            None => services
                .catalogue
                .create_product(&ctx.actor()?, &draft)
                .await
                .map(drop),
        }
    } else {
        let later = services.catalogue.product_errors(&draft, id).await?;
        Err(CatalogueError::Invalid(read_errors.and_later(later)))
    };
    match result {
        Ok(()) => Ok(ctx.done(format!("Product {} saved.", form.name.trim()), "/products")),
        Err(e) => match e.field_errors() {
            Some(errors) => form_page(ctx, id, form, errors, StatusCode::UNPROCESSABLE_ENTITY),
            None => Err(e.into()),
        },
    }
}
