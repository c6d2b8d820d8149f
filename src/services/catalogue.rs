//! The catalogue: products and the campaigns that offer them (SPEC 3, R-GW-3, R-GW-4). Every
//! change is written with its event in one transaction; a name or SKU taken by a concurrent
//! request answers the field's message, never an unexpected error.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{Unexpected, field_error, service_error};
use crate::clock::Clock;
use crate::db;
use crate::db::catalogue::{CampaignRecord, Holder, Offering};
use crate::db::{Conn, Db};
use crate::domain::FieldErrors;
use crate::domain::catalogue::{
    Campaign, CampaignDraft, CampaignFacts, CampaignListing, CampaignQuery, Product, ProductDraft,
    ProductQuery, RouteChoices, SalesRoute, StoredProduct, validate_campaign, validate_product,
};
use crate::domain::event::{Actor, Change, EventKind, NewEvent, Subject};
use crate::domain::ids::{CampaignId, ProductId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::routing::ProfileKind;

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("{0}")]
    Invalid(FieldErrors),
    /// Another product took the SKU between the check and the save.
    #[error("Another product already has this SKU.")]
    SkuTaken,
    /// Another campaign took the name between the check and the save.
    #[error("Another campaign already has this name.")]
    CampaignNameTaken,
    #[error("No such product.")]
    ProductNotFound,
    #[error("No such campaign.")]
    CampaignNotFound,
    #[error("The product {0} is archived: it can no longer be changed.")]
    ProductArchived(String),
    #[error("The campaign {0} is archived: it can no longer be changed.")]
    CampaignArchived(String),
    #[error(transparent)]
    Unexpected(#[from] Unexpected),
}

service_error!(CatalogueError {
    Invalid(_) => Invalid, "invalid",
    SkuTaken => Invalid, "product_sku_taken",
    CampaignNameTaken => Invalid, "campaign_name_taken",
    ProductNotFound => NotFound, "product_not_found",
    CampaignNotFound => NotFound, "campaign_not_found",
    ProductArchived(_) => Conflict, "product_archived",
    CampaignArchived(_) => Conflict, "campaign_archived",
    Unexpected(_) => Unexpected, "unexpected",
});

impl CatalogueError {
    /// The messages a form shows by its fields, when this error is about the input.
    pub fn field_errors(&self) -> Option<FieldErrors> {
        match self {
            CatalogueError::Invalid(errors) => Some(errors.clone()),
            CatalogueError::SkuTaken => Some(field_error("sku", self.to_string())),
            CatalogueError::CampaignNameTaken => Some(field_error("name", self.to_string())),
            CatalogueError::ProductNotFound
            | CatalogueError::CampaignNotFound
            | CatalogueError::ProductArchived(_)
            | CatalogueError::CampaignArchived(_)
            | CatalogueError::Unexpected(_) => None,
        }
    }
}

impl From<db::DbError> for CatalogueError {
    fn from(e: db::DbError) -> Self {
        CatalogueError::Unexpected(e.into())
    }
}

/// A unique index fired between the check and the write: another request won the race.
fn unique_conflict(e: db::DbError) -> CatalogueError {
    if e.is_unique(db::Constraint::ProductSku) {
        CatalogueError::SkuTaken
    } else if e.is_unique(db::Constraint::CampaignName) {
        CatalogueError::CampaignNameTaken
    } else {
        e.into()
    }
}

/// A save that lost a race: a unique value taken, or a MID or profile deleted under it.
fn write_failed(e: db::DbError) -> CatalogueError {
    match e {
        e @ db::DbError::Unique { .. } => unique_conflict(e),
        db::DbError::ForeignKey => CatalogueError::Invalid(field_error(
            "route",
            "That MID or ATRI profile was deleted meanwhile; pick another.",
        )),
        e => e.into(),
    }
}

/// The message for a unique value `holder` already has.
fn taken(holder: &Holder, what: &str) -> String {
    if holder.archived {
        format!("The archived {what} “{}” already has this", holder.name)
    } else {
        format!("“{}” already has this", holder.name)
    }
}

/// What the event log keeps of a product.
fn product_snapshot(p: &StoredProduct) -> Value {
    let product = &p.product;
    json!({
        "name": product.name,
        "sku": product.sku,
        "currency": product.currency().code(),
        "price_minor": product.price.amount().get(),
        "trial_days": product.trial.map(|t| t.days),
        "trial_price_minor": product.trial.map(|t| t.price.amount().get()),
        "cycle_days": product.cycle_days,
        "options": product.options.iter().map(|o| json!({
            "name": o.name,
            "price_minor": o.price.map(|m| m.amount().get()),
        })).collect::<Vec<_>>(),
        "shippable": product.shippable,
        "enabled": p.enabled,
        "archived": p.archived,
    })
}

/// What the event log keeps of a campaign.
fn campaign_snapshot(c: &Campaign) -> Value {
    let (mid, atri) = match c.route {
        SalesRoute::Mid(mid) => (Some(mid.0), None),
        SalesRoute::Atri(profile) => (None, Some(profile.0)),
    };
    json!({
        "name": c.name,
        "currency": c.currency.code(),
        "mid_id": mid,
        "atri_profile_id": atri,
        "products": c.products.iter().map(|p| p.0).collect::<Vec<_>>(),
        "recycling": c.recycling,
        "notify": c.notify.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "welcome_subject": c.welcome_subject,
        "welcome_body": c.welcome_body,
        "enabled": c.enabled,
        "archived": c.archived,
    })
}

/// A toggle's before and after: the name and the flag that changed.
fn flag(name: &str, key: &str, value: bool) -> Value {
    json!({ "name": name, key: value })
}

/// Products and campaigns.
#[derive(Clone)]
pub struct CatalogueService {
    db: Db,
    clock: Arc<dyn Clock>,
}

impl CatalogueService {
    pub(super) fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }
}

// Products
impl CatalogueService {
    pub async fn list_products(
        &self,
        query: &ProductQuery,
        page: PageRequest,
    ) -> Result<Page<StoredProduct>, Unexpected> {
        Ok(db::catalogue::list_products(&self.db, query, page).await?)
    }

    pub async fn find_product(&self, id: ProductId) -> Result<StoredProduct, CatalogueError> {
        db::catalogue::find_product(&self.db, id)
            .await?
            .ok_or(CatalogueError::ProductNotFound)
    }

    /// The campaigns that offer a product (its archive confirmation names them).
    pub async fn campaigns_offering(&self, id: ProductId) -> Result<Vec<Offering>, Unexpected> {
        Ok(db::catalogue::campaigns_offering(&self.db, id).await?)
    }

    /// The rules of [`validate_product`] and those that need the database: a SKU no other
    /// product has in any case, and (editing) a currency every campaign offering it shares.
    async fn check_product(
        conn: impl Into<Conn<'_>>,
        draft: &ProductDraft,
        id: Option<ProductId>,
    ) -> Result<Product, CatalogueError> {
        let mut conn: Conn<'_> = conn.into();
        let checked = validate_product(draft);
        let mut errors = checked.clone().err().unwrap_or_default();
        if errors.get("sku").is_none()
            && let Some(holder) = db::catalogue::sku_holder(&mut conn, draft.sku.trim(), id).await?
        {
            errors.push("sku", format!("{} SKU.", taken(&holder, "product")));
        }
        if let Some(id) = id {
            let currency = draft.price.currency();
            let clash = db::catalogue::campaigns_offering(&mut conn, id)
                .await?
                .into_iter()
                .find(|o| !o.archived && o.currency != currency);
            if let Some(campaign) = clash {
                errors.push(
                    "currency",
                    format!(
                        "The campaign “{}” sells this product in {}: take it out of that campaign before changing its currency.",
                        campaign.name, campaign.currency
                    ),
                );
            }
        }
        match checked {
            Ok(product) if errors.is_empty() => Ok(product),
            _ => Err(CatalogueError::Invalid(errors)),
        }
    }

    /// Every message `draft` would get on saving, saving nothing: for a form that also has
    /// values it could not read, so all its messages show at once.
    pub async fn product_errors(
        &self,
        draft: &ProductDraft,
        id: Option<ProductId>,
    ) -> Result<FieldErrors, CatalogueError> {
        match Self::check_product(&self.db, draft, id).await {
            Ok(_) => Ok(FieldErrors::default()),
            Err(CatalogueError::Invalid(errors)) => Ok(errors),
            Err(e) => Err(e),
        }
    }

    pub async fn create_product(
        &self,
        actor: &Actor,
        draft: &ProductDraft,
    ) -> Result<ProductId, CatalogueError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let product = Self::check_product(&mut tx, draft, None).await?;
        let id = db::catalogue::insert_product(&mut tx, &product, now)
            .await
            .map_err(write_failed)?;
        let stored = db::catalogue::find_product(&mut tx, id)
            .await?
            .ok_or(CatalogueError::ProductNotFound)?;
        let event = NewEvent {
            kind: EventKind::ProductCreated,
            subject: Subject::Product(id),
            change: Change::Created(product_snapshot(&stored)),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    /// Saves an edit; an archived product is never changed.
    pub async fn update_product(
        &self,
        actor: &Actor,
        id: ProductId,
        draft: &ProductDraft,
    ) -> Result<(), CatalogueError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::catalogue::find_product(&mut tx, id)
            .await?
            .ok_or(CatalogueError::ProductNotFound)?;
        if before.archived {
            return Err(CatalogueError::ProductArchived(before.product.name));
        }
        let product = Self::check_product(&mut tx, draft, Some(id)).await?;
        db::catalogue::update_product(&mut tx, id, &product, now)
            .await
            .map_err(write_failed)?;
        let after = db::catalogue::find_product(&mut tx, id)
            .await?
            .ok_or(CatalogueError::ProductNotFound)?;
        let event = NewEvent {
            kind: EventKind::ProductUpdated,
            subject: Subject::Product(id),
            change: Change::Updated {
                before: product_snapshot(&before),
                after: product_snapshot(&after),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    /// Turns sales of a product on or off; answers the product as it now is.
    pub async fn set_product_enabled(
        &self,
        actor: &Actor,
        id: ProductId,
        enabled: bool,
    ) -> Result<StoredProduct, CatalogueError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::catalogue::find_product(&mut tx, id)
            .await?
            .ok_or(CatalogueError::ProductNotFound)?;
        if before.archived {
            return Err(CatalogueError::ProductArchived(before.product.name));
        }
        if before.enabled == enabled {
            return Ok(before);
        }
        db::catalogue::set_product_enabled(&mut tx, id, enabled, now).await?;
        let after = StoredProduct {
            enabled,
            ..before.clone()
        };
        let name = &before.product.name;
        let event = NewEvent {
            kind: if enabled {
                EventKind::ProductEnabled
            } else {
                EventKind::ProductDisabled
            },
            subject: Subject::Product(id),
            change: Change::Updated {
                before: flag(name, "enabled", before.enabled),
                after: flag(name, "enabled", enabled),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(after)
    }

    /// Archives a product: it leaves the lists, is sold no more and can be added to no campaign.
    /// Campaigns that offer it keep it, unsold, until it is taken out. Archiving twice is a
    /// no-op.
    pub async fn archive_product(
        &self,
        actor: &Actor,
        id: ProductId,
    ) -> Result<StoredProduct, CatalogueError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::catalogue::find_product(&mut tx, id)
            .await?
            .ok_or(CatalogueError::ProductNotFound)?;
        if before.archived {
            return Ok(before);
        }
        db::catalogue::archive_product(&mut tx, id, now).await?;
        let name = &before.product.name;
        let event = NewEvent {
            kind: EventKind::ProductArchived,
            subject: Subject::Product(id),
            change: Change::Updated {
                before: flag(name, "archived", false),
                after: flag(name, "archived", true),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(StoredProduct {
            archived: true,
            ..before
        })
    }
}

// Campaigns
impl CatalogueService {
    pub async fn list_campaigns(
        &self,
        query: &CampaignQuery,
        page: PageRequest,
    ) -> Result<Page<CampaignListing>, Unexpected> {
        Ok(db::catalogue::list_campaigns(&self.db, query, page).await?)
    }

    pub async fn find_campaign(&self, id: CampaignId) -> Result<Campaign, CatalogueError> {
        db::catalogue::find_campaign(&self.db, id)
            .await?
            .ok_or(CatalogueError::CampaignNotFound)
    }

    /// One campaign as the list shows it (its route's name, how many products it offers).
    pub async fn listing(&self, id: CampaignId) -> Result<CampaignListing, CatalogueError> {
        db::catalogue::campaign_listing(&self.db, id)
            .await?
            .ok_or(CatalogueError::CampaignNotFound)
    }

    /// Campaigns on sale with their products on sale, each in the campaign's currency, in a
    /// fixed number of queries: what the order API lists and the order entry page offers.
    pub async fn offered(&self) -> Result<Vec<(Campaign, Vec<StoredProduct>)>, Unexpected> {
        let campaigns = db::catalogue::campaigns_on_sale(&self.db).await?;
        if campaigns.is_empty() {
            return Ok(Vec::new());
        }
        let products = db::catalogue::products_on_sale_in_campaigns(&self.db).await?;
        Ok(campaigns
            .into_iter()
            .map(|campaign| {
                let offered = campaign
                    .products
                    .iter()
                    .filter_map(|id| products.iter().find(|p| p.id == *id))
                    // A product's currency cannot change while a campaign offers it; the two
                    // reads above are not one snapshot, so a product changed between them is
                    // left out rather than sold in the wrong currency.
                    .filter(|p| p.product.currency() == campaign.currency)
                    .cloned()
                    .collect();
                (campaign, offered)
            })
            .collect())
    }

    /// Where a campaign's new sales may go: the MIDs that take new sales and the ATRI profiles,
    /// with the cascade each MID's soft declines follow.
    pub async fn route_choices(&self) -> Result<RouteChoices, Unexpected> {
        let mids = db::mids::all(&self.db).await?;
        let profiles = db::profiles::all(&self.db).await?;
        Ok(RouteChoices::new(mids, profiles))
    }

    /// The products a campaign form offers: those not archived, and the archived ones
    /// `campaign` already offers (it may keep them, unsold, until they are taken out).
    pub async fn selectable_products(
        &self,
        campaign: Option<CampaignId>,
    ) -> Result<Vec<StoredProduct>, Unexpected> {
        Ok(db::catalogue::selectable_products(&self.db, campaign).await?)
    }

    /// The facts [`validate_campaign`] needs about what `draft` names, read in `tx`.
    async fn facts(
        conn: impl Into<Conn<'_>>,
        draft: &CampaignDraft,
        before: Option<&Campaign>,
    ) -> Result<CampaignFacts, CatalogueError> {
        let mut conn: Conn<'_> = conn.into();
        let mut facts = CampaignFacts::default();
        match draft.route {
            Some(SalesRoute::Mid(id)) => {
                if let Some(mid) = db::mids::find(&mut conn, id).await? {
                    facts.mids.push((mid.id, mid.provider, mid.currency));
                }
            }
            Some(SalesRoute::Atri(id)) => {
                if let Some(profile) = db::profiles::find(&mut conn, id).await?
                    && profile.kind == ProfileKind::Atri
                {
                    let mut currencies = Vec::new();
                    for member in &profile.members {
                        if let Some(mid) = db::mids::find(&mut conn, member.mid_id).await? {
                            currencies.push(mid.currency);
                        }
                    }
                    facts.atri_profiles.push((id, currencies));
                }
            }
            None => {}
        }
        for p in db::catalogue::products_by_ids(&mut conn, &draft.products).await? {
            facts.products.push((p.id, p.product.currency()));
            if p.archived {
                facts.archived.push((p.id, p.product.name));
            }
        }
        facts.offered = before.map(|c| c.products.clone()).unwrap_or_default();
        Ok(facts)
    }

    /// Checks a campaign draft against every rule, and that no other campaign has its name.
    async fn check_campaign(
        conn: impl Into<Conn<'_>>,
        draft: &CampaignDraft,
        before: Option<&Campaign>,
    ) -> Result<SalesRoute, CatalogueError> {
        let mut conn: Conn<'_> = conn.into();
        let facts = Self::facts(&mut conn, draft, before).await?;
        let mut errors = validate_campaign(draft, &facts);
        if errors.get("name").is_none()
            && let Some(holder) = db::catalogue::campaign_name_holder(
                &mut conn,
                draft.name.trim(),
                before.map(|c| c.id),
            )
            .await?
        {
            errors.push("name", format!("{} name.", taken(&holder, "campaign")));
        }
        match draft.route {
            Some(route) if errors.is_empty() => Ok(route),
            _ => Err(CatalogueError::Invalid(errors)),
        }
    }

    fn record(draft: &CampaignDraft, route: SalesRoute) -> CampaignRecord<'_> {
        CampaignRecord {
            name: draft.name.trim(),
            currency: draft.currency,
            route,
            products: &draft.products,
            recycling: draft.recycling,
            notify: &draft.notify,
            welcome_subject: draft.welcome_subject.trim(),
            welcome_body: &draft.welcome_body,
        }
    }

    /// Every message `draft` would get on saving (editing campaign `id`), saving nothing.
    pub async fn campaign_errors(
        &self,
        draft: &CampaignDraft,
        id: Option<CampaignId>,
    ) -> Result<FieldErrors, CatalogueError> {
        let before = match id {
            Some(id) => Some(self.find_campaign(id).await?),
            None => None,
        };
        match Self::check_campaign(&self.db, draft, before.as_ref()).await {
            Ok(_) => Ok(FieldErrors::default()),
            Err(CatalogueError::Invalid(errors)) => Ok(errors),
            Err(e) => Err(e),
        }
    }

    pub async fn create_campaign(
        &self,
        actor: &Actor,
        draft: &CampaignDraft,
    ) -> Result<CampaignId, CatalogueError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let route = Self::check_campaign(&mut tx, draft, None).await?;
        let id = db::catalogue::insert_campaign(&mut tx, &Self::record(draft, route), now)
            .await
            .map_err(write_failed)?;
        let after = db::catalogue::find_campaign(&mut tx, id)
            .await?
            .ok_or(CatalogueError::CampaignNotFound)?;
        let event = NewEvent {
            kind: EventKind::CampaignCreated,
            subject: Subject::Campaign(id),
            change: Change::Created(campaign_snapshot(&after)),
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(id)
    }

    /// Saves an edit; an archived campaign is never changed.
    pub async fn update_campaign(
        &self,
        actor: &Actor,
        id: CampaignId,
        draft: &CampaignDraft,
    ) -> Result<(), CatalogueError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::catalogue::find_campaign(&mut tx, id)
            .await?
            .ok_or(CatalogueError::CampaignNotFound)?;
        if before.archived {
            return Err(CatalogueError::CampaignArchived(before.name));
        }
        let route = Self::check_campaign(&mut tx, draft, Some(&before)).await?;
        db::catalogue::update_campaign(&mut tx, id, &Self::record(draft, route), now)
            .await
            .map_err(write_failed)?;
        let after = db::catalogue::find_campaign(&mut tx, id)
            .await?
            .ok_or(CatalogueError::CampaignNotFound)?;
        let event = NewEvent {
            kind: EventKind::CampaignUpdated,
            subject: Subject::Campaign(id),
            change: Change::Updated {
                before: campaign_snapshot(&before),
                after: campaign_snapshot(&after),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(())
    }

    /// Turns new sales of a campaign on or off; answers the campaign as it now is.
    pub async fn set_campaign_enabled(
        &self,
        actor: &Actor,
        id: CampaignId,
        enabled: bool,
    ) -> Result<Campaign, CatalogueError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::catalogue::find_campaign(&mut tx, id)
            .await?
            .ok_or(CatalogueError::CampaignNotFound)?;
        if before.archived {
            return Err(CatalogueError::CampaignArchived(before.name));
        }
        if before.enabled == enabled {
            return Ok(before);
        }
        db::catalogue::set_campaign_enabled(&mut tx, id, enabled, now).await?;
        let event = NewEvent {
            kind: if enabled {
                EventKind::CampaignEnabled
            } else {
                EventKind::CampaignDisabled
            },
            subject: Subject::Campaign(id),
            change: Change::Updated {
                before: flag(&before.name, "enabled", before.enabled),
                after: flag(&before.name, "enabled", enabled),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(Campaign { enabled, ..before })
    }

    /// Archives a campaign: it takes no new sales and leaves the list; its orders and
    /// subscriptions stay as they are. Archiving twice is a no-op.
    pub async fn archive_campaign(
        &self,
        actor: &Actor,
        id: CampaignId,
    ) -> Result<Campaign, CatalogueError> {
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        let before = db::catalogue::find_campaign(&mut tx, id)
            .await?
            .ok_or(CatalogueError::CampaignNotFound)?;
        if before.archived {
            return Ok(before);
        }
        db::catalogue::archive_campaign(&mut tx, id, now).await?;
        let event = NewEvent {
            kind: EventKind::CampaignArchived,
            subject: Subject::Campaign(id),
            change: Change::Updated {
                before: flag(&before.name, "archived", false),
                after: flag(&before.name, "archived", true),
            },
        };
        db::events::insert_and_commit(tx, actor, &event, now).await?;
        Ok(Campaign {
            archived: true,
            ..before
        })
    }
}
