//! What customers buy (SPEC 3): products, with an optional trial and a billing cycle when they
//! recur, and campaigns, which offer products in one currency and name the MID or ATRI profile
//! that takes their new sales. Drafts are checked here; the service adds what needs the database
//! (that a MID or product exists, names taken).

use super::FieldErrors;
use super::contact::Email;
use super::ids::{CampaignId, MidId, ProductId, ProfileId};
use super::mid::Mid;
use super::money::{Currency, Money};
use super::name::{Name, Named};
use super::provider::Provider;
use super::routing::{ProfileKind, RoutingProfile};

pub const SKU_MAX: usize = 40;
pub const CYCLE_MAX_DAYS: u32 = 365;
pub const TRIAL_MAX_DAYS: u32 = 90;
pub const OPTIONS_MAX: usize = 20;
pub const NOTIFY_MAX: usize = 10;
pub const WELCOME_SUBJECT_MAX: usize = 200;
pub const WELCOME_BODY_MAX: usize = 10_000;

/// A trial: the first charge is `price` (0 for a free trial), the next one `days` later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trial {
    pub days: u32,
    pub price: Money,
}

/// A variant a customer picks (a size, a colour), at the product's price unless it has its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductOption {
    pub name: String,
    pub price: Option<Money>,
}

/// A product as submitted, values read but not checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    pub name: String,
    pub sku: String,
    pub price: Money,
    pub trial: Option<Trial>,
    /// Days between charges of a recurring product; `None` for a one-off.
    pub cycle_days: Option<u32>,
    pub options: Vec<ProductOption>,
    pub shippable: bool,
}

/// A product that satisfies every rule below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    pub name: String,
    pub sku: String,
    pub price: Money,
    pub trial: Option<Trial>,
    pub cycle_days: Option<u32>,
    pub options: Vec<ProductOption>,
    pub shippable: bool,
}

impl Product {
    pub fn currency(&self) -> Currency {
        self.price.currency()
    }

    /// The unit price of `option` (the product's own when the option has none or is not given).
    pub fn unit_price(&self, option: Option<&str>) -> Money {
        option
            .and_then(|name| self.options.iter().find(|o| o.name == name))
            .and_then(|o| o.price)
            .unwrap_or(self.price)
    }
}

/// Checks a product: a name, a SKU of letters, digits, dots, dashes and underscores, amounts in
/// one currency and never negative, a trial only on a recurring product, a cycle of 1 to 365
/// days, distinct option names.
pub fn validate_product(draft: &ProductDraft) -> Result<Product, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = errors.take("name", Name::parse(&draft.name, Named::Product));
    let sku = draft.sku.trim();
    if sku.is_empty() {
        errors.push("sku", "Enter a SKU.");
    } else if sku.chars().count() > SKU_MAX
        || !sku
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        errors.push(
            "sku",
            format!("A SKU is up to {SKU_MAX} letters, digits, dots, dashes or underscores."),
        );
    }
    let currency = draft.price.currency();
    let fits = |m: Money| m.currency() == currency && m.amount().get() >= 0;
    if !fits(draft.price) {
        errors.push("price", "Enter a price of 0 or more.");
    }
    match (draft.cycle_days, draft.trial) {
        (Some(days), _) if !(1..=CYCLE_MAX_DAYS).contains(&days) => errors.push(
            "cycle_days",
            format!("A billing cycle is 1 to {CYCLE_MAX_DAYS} days."),
        ),
        (None, Some(_)) => errors.push(
            "trial_days",
            "Only a recurring product has a trial: set a billing cycle or remove the trial.",
        ),
        _ => {}
    }
    if let Some(trial) = draft.trial {
        if !(1..=TRIAL_MAX_DAYS).contains(&trial.days) {
            errors.push(
                "trial_days",
                format!("A trial lasts 1 to {TRIAL_MAX_DAYS} days."),
            );
        }
        if !fits(trial.price) {
            errors.push(
                "trial_price",
                format!("Enter a trial price in {currency} of 0 or more (0 is a free trial)."),
            );
        }
    }
    let mut seen: Vec<String> = Vec::new();
    for option in &draft.options {
        let key = option.name.trim().to_lowercase();
        if key.is_empty() {
            errors.push("options", "Give every option a name, or remove it.");
        } else if seen.contains(&key) {
            errors.push(
                "options",
                format!("The option “{}” is listed twice.", option.name.trim()),
            );
        }
        seen.push(key);
        if option.price.is_some_and(|p| !fits(p)) {
            errors.push(
                "options",
                format!("Option prices are in {currency}, 0 or more."),
            );
        }
    }
    if draft.options.len() > OPTIONS_MAX {
        errors.push("options", format!("At most {OPTIONS_MAX} options."));
    }
    let errors = FieldErrors::default().and_later(errors);
    match name {
        Some(name) if errors.is_empty() => Ok(Product {
            name: name.into_string(),
            sku: sku.to_owned(),
            price: draft.price,
            trial: draft.trial,
            cycle_days: draft.cycle_days,
            options: draft
                .options
                .iter()
                .map(|o| ProductOption {
                    name: o.name.trim().to_owned(),
                    price: o.price,
                })
                .collect(),
            shippable: draft.shippable,
        }),
        _ => Err(errors),
    }
}

/// A product as stored. A disabled or archived product is not sold; archived ones leave the
/// lists but stay on the orders that bought them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredProduct {
    pub id: ProductId,
    pub product: Product,
    pub enabled: bool,
    pub archived: bool,
}

impl StoredProduct {
    /// Whether new sales may include it.
    pub fn on_sale(&self) -> bool {
        self.enabled && !self.archived
    }
}

/// A campaign as stored: a checked [`CampaignDraft`] with its id and state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: CampaignId,
    pub name: String,
    pub currency: Currency,
    pub route: SalesRoute,
    /// In the order the campaign offers them.
    pub products: Vec<ProductId>,
    pub recycling: bool,
    pub notify: Vec<Email>,
    pub welcome_subject: String,
    pub welcome_body: String,
    pub enabled: bool,
    pub archived: bool,
}

impl Campaign {
    /// Whether it takes new sales.
    pub fn on_sale(&self) -> bool {
        self.enabled && !self.archived
    }
}

/// Where a campaign's new sales go (R-OR-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesRoute {
    Mid(MidId),
    /// An ATRI gateway profile, which picks a MID by weight.
    Atri(ProfileId),
}

/// The placeholders a welcome email may use.
pub const PLACEHOLDERS: &[&str] = &["first_name", "order_id", "product", "total"];

/// A campaign as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignDraft {
    pub name: String,
    pub currency: Currency,
    pub route: Option<SalesRoute>,
    pub products: Vec<ProductId>,
    /// Off: a declined rebill of this campaign is never salvaged.
    pub recycling: bool,
    pub notify: Vec<Email>,
    pub welcome_subject: String,
    pub welcome_body: String,
}

/// What the campaign rules need to know about the MIDs, ATRI profiles and products named.
#[derive(Debug, Clone, Default)]
pub struct CampaignFacts {
    /// The MIDs named, with their gateway and the currency they settle in.
    pub mids: Vec<(MidId, Provider, Currency)>,
    /// The ATRI profiles named, with the currencies their MIDs settle in.
    pub atri_profiles: Vec<(ProfileId, Vec<Currency>)>,
    pub products: Vec<(ProductId, Currency)>,
    /// The archived products among those named, with their names.
    pub archived: Vec<(ProductId, String)>,
    /// What the campaign offers before this change (empty for a new campaign): a product archived
    /// since it was added may stay, unsold, until the merchant removes it.
    pub offered: Vec<ProductId>,
}

/// Checks a campaign: a name, a route to a MID that takes new sales (never salvage-only:
/// R-GW-3) or an ATRI profile, settling in the campaign's currency; at least one product, each
/// once, every one in the campaign's currency and none newly archived; at most ten distinct
/// notify addresses; and welcome texts of a sensible length with known placeholders only.
pub fn validate_campaign(draft: &CampaignDraft, facts: &CampaignFacts) -> FieldErrors {
    let mut errors = FieldErrors::default();
    errors.take("name", Name::parse(&draft.name, Named::Campaign));
    let currency = draft.currency;
    match draft.route {
        None => errors.push(
            "route",
            "Pick the MID or ATRI profile that takes new sales.",
        ),
        Some(SalesRoute::Mid(id)) => match facts.mids.iter().find(|(m, ..)| *m == id) {
            None => errors.push("route", "That MID no longer exists; pick another."),
            Some((_, provider, _)) if provider.is_salvage_only() => errors.push(
                "route",
                format!(
                    "{} MIDs are salvage-only: they never take new sales.",
                    provider.label()
                ),
            ),
            Some((_, _, settles)) if *settles != currency => errors.push(
                "route",
                format!(
                    "That MID settles in {settles}: a {currency} campaign needs a MID that settles in {currency}."
                ),
            ),
            Some(_) => {}
        },
        Some(SalesRoute::Atri(id)) => match facts.atri_profiles.iter().find(|(p, _)| *p == id) {
            None => errors.push("route", "That ATRI profile no longer exists; pick another."),
            Some((_, settles)) if !settles.contains(&currency) => errors.push(
                "route",
                format!("No MID of that ATRI profile settles in {currency}; pick another."),
            ),
            Some(_) => {}
        },
    }
    if draft.products.is_empty() {
        errors.push("products", "Offer at least one product.");
    }
    for (i, id) in draft.products.iter().enumerate() {
        if draft.products[..i].contains(id) {
            errors.push("products", "Each product is offered once.");
            continue;
        }
        match facts.products.iter().find(|(p, _)| p == id) {
            None => errors.push("products", "A product no longer exists; reload the page."),
            Some((_, priced)) if *priced != currency => errors.push(
                "products",
                format!("Every product of a {currency} campaign is priced in {currency}."),
            ),
            Some(_) => {}
        }
        if let Some((_, name)) = facts.archived.iter().find(|(p, _)| p == id)
            && !facts.offered.contains(id)
        {
            errors.push(
                "products",
                format!("“{name}” is archived: archived products cannot be added to a campaign."),
            );
        }
    }
    if draft.notify.len() > NOTIFY_MAX {
        errors.push("notify", format!("At most {NOTIFY_MAX} addresses."));
    }
    for (i, email) in draft.notify.iter().enumerate() {
        if draft.notify[..i].contains(email) {
            errors.push("notify", format!("{email} is listed twice."));
        }
    }
    if draft.welcome_subject.chars().count() > WELCOME_SUBJECT_MAX {
        errors.push(
            "welcome_subject",
            format!("Use at most {WELCOME_SUBJECT_MAX} characters."),
        );
    } else if draft.welcome_subject.chars().any(char::is_control) {
        errors.push("welcome_subject", "A subject is one line of text.");
    }
    if draft.welcome_body.chars().count() > WELCOME_BODY_MAX {
        errors.push(
            "welcome_body",
            format!("Use at most {WELCOME_BODY_MAX} characters."),
        );
    }
    for (field, text) in [
        ("welcome_subject", &draft.welcome_subject),
        ("welcome_body", &draft.welcome_body),
    ] {
        if let Err(e) = check_placeholders(text) {
            errors.push(field, e);
        }
    }
    FieldErrors::default().and_later(errors)
}

/// The placeholders of `text` (`{first_name}` ...), refusing unknown or unclosed ones.
fn check_placeholders(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            return Err("A placeholder is not closed: write it like {first_name}.".to_owned());
        };
        let name = &after[..close];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "{{{name}}} is not a placeholder; use {}.",
                PLACEHOLDERS
                    .iter()
                    .map(|p| format!("{{{p}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// The values a welcome email is filled with.
#[derive(Debug, Clone)]
pub struct WelcomeValues<'a> {
    pub first_name: &'a str,
    pub order_id: i64,
    pub product: &'a str,
    pub total: Money,
}

/// `text` with its placeholders filled in. The text was checked when the campaign was saved;
/// an unknown placeholder (a row written by hand) is left as it is.
pub fn fill_placeholders(text: &str, values: &WelcomeValues<'_>) -> String {
    let order_id = values.order_id.to_string();
    let total = values.total.to_string();
    let mut out = text.to_owned();
    for (name, value) in [
        ("first_name", values.first_name),
        ("order_id", &order_id),
        ("product", values.product),
        ("total", &total),
    ] {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The product list's filters and order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductQuery {
    /// Part of a name or SKU, in any case.
    pub search: String,
    /// `Some(true)`: recurring products only; `Some(false)`: one-off only.
    pub recurring: Option<bool>,
    pub enabled: Option<bool>,
    /// Archived products are listed too (they leave the list otherwise).
    pub archived: bool,
    pub sort: ProductSort,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ProductSort {
    #[default]
    Name,
    Sku,
    Price,
    Enabled,
}

/// The campaign list's filters and order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignQuery {
    pub search: String,
    pub currency: Option<Currency>,
    pub enabled: Option<bool>,
    /// Archived campaigns are listed too.
    pub archived: bool,
    pub sort: CampaignSort,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CampaignSort {
    #[default]
    Name,
    Currency,
    Enabled,
}

/// A campaign as its list shows it: where its new sales go, by name, and how many products it
/// offers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignListing {
    pub id: CampaignId,
    pub name: String,
    pub currency: Currency,
    pub route: SalesRoute,
    /// The MID's title or the ATRI profile's name.
    pub route_name: String,
    pub products: i64,
    pub recycling: bool,
    pub enabled: bool,
    pub archived: bool,
}

impl CampaignListing {
    pub fn on_sale(&self) -> bool {
        self.enabled && !self.archived
    }
}

/// What happens at once to a soft-declined new sale on a MID (R-EN-1, R-GW-4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CascadeRule {
    /// A FlexFactor or FlexEcom MID with `cascadeAll` on takes every initial-sale soft decline,
    /// whatever cascade profile the MID has.
    CascadeAll { mid: String, provider: Provider },
    /// The MID's direct cascade profile.
    Profile { name: String },
    /// No cascade: the decline stands.
    None,
}

/// The cascade a MID's soft declines follow: `cascadeAll` overrides every cascade profile.
pub fn cascade_rule(
    cascade_all: Option<(&str, Provider)>,
    mid_profile: Option<&str>,
) -> CascadeRule {
    match (cascade_all, mid_profile) {
        (Some((mid, provider)), _) => CascadeRule::CascadeAll {
            mid: mid.to_owned(),
            provider,
        },
        (None, Some(name)) => CascadeRule::Profile {
            name: name.to_owned(),
        },
        (None, None) => CascadeRule::None,
    }
}

impl std::fmt::Display for CascadeRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CascadeRule::CascadeAll { mid, provider } => write!(
                f,
                "every soft decline goes at once to {mid} ({}, cascadeAll), overriding cascade profiles",
                provider.label()
            ),
            CascadeRule::Profile { name } => {
                write!(f, "soft declines cascade at once down “{name}”")
            }
            CascadeRule::None => f.write_str("no cascade profile, so the decline stands"),
        }
    }
}

/// What a campaign's "takes new sales on" choice offers: the MIDs that may take new sales (never
/// a salvage-only one: R-GW-3) and the ATRI profiles, with the cascade each MID's soft declines
/// follow (R-GW-4).
#[derive(Debug, Clone)]
pub struct RouteChoices {
    /// Every MID, by title.
    all: Vec<Mid>,
    profiles: Vec<RoutingProfile>,
}

impl RouteChoices {
    pub fn new(all: Vec<Mid>, profiles: Vec<RoutingProfile>) -> Self {
        Self { all, profiles }
    }

    /// The MIDs a campaign may sell on.
    pub fn mids(&self) -> impl Iterator<Item = &Mid> {
        self.all.iter().filter(|m| !m.provider.is_salvage_only())
    }

    pub fn atri_profiles(&self) -> impl Iterator<Item = &RoutingProfile> {
        self.profiles.iter().filter(|p| p.kind == ProfileKind::Atri)
    }

    /// The FlexFactor or FlexEcom MID with `cascadeAll` on, if any.
    pub fn cascade_all(&self) -> Option<&Mid> {
        self.all
            .iter()
            .find(|m| m.cascade_all && m.provider.offers_cascade_all())
    }

    /// The cascade `mid`'s soft declines follow.
    pub fn cascade_of(&self, mid: &Mid) -> CascadeRule {
        let profile = mid.cascade_profile_id.and_then(|id| {
            self.profiles
                .iter()
                .find(|p| p.id == id && p.kind == ProfileKind::Cascade)
        });
        cascade_rule(
            self.cascade_all().map(|m| (m.title.as_str(), m.provider)),
            profile.map(|p| p.name.as_str()),
        )
    }

    /// Each MID that may take `route`'s new sales, with the cascade it follows; empty for a
    /// route that is not among the choices.
    pub fn cascades(&self, route: SalesRoute) -> Vec<(&Mid, CascadeRule)> {
        let mids: Vec<&Mid> = match route {
            SalesRoute::Mid(id) => self.mids().filter(|m| m.id == id).collect(),
            SalesRoute::Atri(id) => self
                .atri_profiles()
                .filter(|p| p.id == id)
                .flat_map(|p| &p.members)
                .filter_map(|member| self.all.iter().find(|m| m.id == member.mid_id))
                .collect(),
        };
        mids.into_iter().map(|m| (m, self.cascade_of(m))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::MinorUnits;

    fn usd(minor: i64) -> Money {
        Money::new(MinorUnits::from_minor(minor), Currency::Usd)
    }

    fn monthly() -> ProductDraft {
        ProductDraft {
            name: "Vitamins".to_owned(),
            sku: "VIT-30".to_owned(),
            price: usd(4999),
            trial: Some(Trial {
                days: 14,
                price: usd(0),
            }),
            cycle_days: Some(30),
            options: vec![
                ProductOption {
                    name: "Small".to_owned(),
                    price: None,
                },
                ProductOption {
                    name: "Large".to_owned(),
                    price: Some(usd(6999)),
                },
            ],
            shippable: true,
        }
    }

    fn fields(errors: &FieldErrors) -> Vec<&'static str> {
        errors.iter().map(|e| e.field).collect()
    }

    #[test]
    fn a_product_with_a_free_trial_and_priced_options_is_valid() {
        let product = validate_product(&monthly()).expect("valid");
        assert_eq!(product.unit_price(Some("Large")), usd(6999));
        assert_eq!(product.unit_price(Some("Small")), usd(4999));
        assert_eq!(product.unit_price(None), usd(4999));
    }

    #[test]
    fn product_rules_name_the_field_each_breaks() {
        let mut bad = monthly();
        bad.name = " ".to_owned();
        bad.sku = "VIT 30".to_owned();
        bad.cycle_days = Some(0);
        bad.trial = Some(Trial {
            days: 0,
            price: Money::new(MinorUnits::from_minor(0), Currency::Eur),
        });
        bad.options.push(ProductOption {
            name: "large".to_owned(),
            price: None,
        });
        let errors = validate_product(&bad).expect_err("refused");
        assert_eq!(
            fields(&errors),
            [
                "name",
                "sku",
                "cycle_days",
                "trial_days",
                "trial_price",
                "options"
            ]
        );

        let one_off_with_trial = ProductDraft {
            cycle_days: None,
            ..monthly()
        };
        let errors = validate_product(&one_off_with_trial).expect_err("refused");
        assert_eq!(fields(&errors), ["trial_days"]);
        assert!(
            validate_product(&ProductDraft {
                trial: None,
                ..one_off_with_trial
            })
            .is_ok(),
            "a one-off product without a trial"
        );
    }

    fn facts() -> CampaignFacts {
        CampaignFacts {
            mids: vec![
                (MidId(1), Provider::Test, Currency::Usd),
                (MidId(2), Provider::FlexFactor, Currency::Usd),
                (MidId(3), Provider::Test, Currency::Eur),
            ],
            atri_profiles: vec![(ProfileId(5), vec![Currency::Eur, Currency::Usd])],
            products: vec![
                (ProductId(7), Currency::Usd),
                (ProductId(8), Currency::Eur),
                (ProductId(9), Currency::Usd),
            ],
            archived: vec![(ProductId(9), "Old box".to_owned())],
            offered: Vec::new(),
        }
    }

    fn campaign() -> CampaignDraft {
        CampaignDraft {
            name: "Summer".to_owned(),
            currency: Currency::Usd,
            route: Some(SalesRoute::Mid(MidId(1))),
            products: vec![ProductId(7)],
            recycling: true,
            notify: Vec::new(),
            welcome_subject: "Welcome, {first_name}".to_owned(),
            welcome_body: "Order {order_id}: {product}, {total}.".to_owned(),
        }
    }

    #[test]
    fn r_gw_3_a_campaign_never_sells_on_a_salvage_only_mid() {
        assert!(validate_campaign(&campaign(), &facts()).is_empty());
        let salvage = CampaignDraft {
            route: Some(SalesRoute::Mid(MidId(2))),
            ..campaign()
        };
        let errors = validate_campaign(&salvage, &facts());
        assert!(
            errors
                .get("route")
                .is_some_and(|m| m.contains("FlexFactor"))
        );
        let atri = CampaignDraft {
            route: Some(SalesRoute::Atri(ProfileId(5))),
            ..campaign()
        };
        assert!(validate_campaign(&atri, &facts()).is_empty());
    }

    #[test]
    fn campaign_products_share_its_currency_and_placeholders_are_known() {
        let mixed = CampaignDraft {
            products: vec![ProductId(7), ProductId(8)],
            welcome_body: "Hi {name}".to_owned(),
            route: None,
            ..campaign()
        };
        let errors = validate_campaign(&mixed, &facts());
        assert_eq!(fields(&errors), ["route", "products", "welcome_body"]);
        assert!(
            errors
                .get("welcome_body")
                .is_some_and(|m| m.contains("{name}") && m.contains("{first_name}"))
        );
        let unclosed = CampaignDraft {
            welcome_subject: "Hi {first_name".to_owned(),
            ..campaign()
        };
        assert_eq!(
            fields(&validate_campaign(&unclosed, &facts())),
            ["welcome_subject"]
        );
    }

    #[test]
    fn a_campaign_sells_through_a_mid_in_its_currency() {
        let eur_mid = CampaignDraft {
            route: Some(SalesRoute::Mid(MidId(3))),
            ..campaign()
        };
        let errors = validate_campaign(&eur_mid, &facts());
        assert!(errors.get("route").is_some_and(|m| m.contains("EUR")));
        let mut facts = facts();
        facts.atri_profiles = vec![(ProfileId(5), vec![Currency::Eur])];
        let atri = CampaignDraft {
            route: Some(SalesRoute::Atri(ProfileId(5))),
            ..campaign()
        };
        assert_eq!(fields(&validate_campaign(&atri, &facts)), ["route"]);
    }

    #[test]
    fn archived_products_stay_where_they_are_but_are_never_added() {
        let added = CampaignDraft {
            products: vec![ProductId(7), ProductId(9)],
            ..campaign()
        };
        let errors = validate_campaign(&added, &facts());
        assert!(
            errors
                .get("products")
                .is_some_and(|m| m.contains("Old box") && m.contains("archived"))
        );
        let kept = CampaignFacts {
            offered: vec![ProductId(9)],
            ..facts()
        };
        assert!(validate_campaign(&added, &kept).is_empty());
        let twice = CampaignDraft {
            products: vec![ProductId(7), ProductId(7)],
            ..campaign()
        };
        assert_eq!(fields(&validate_campaign(&twice, &facts())), ["products"]);
    }

    #[test]
    fn notify_addresses_are_distinct_and_welcome_texts_bounded() {
        let ops = Email::parse("ops@example.com").expect("email");
        let draft = CampaignDraft {
            notify: vec![ops.clone(), ops],
            welcome_subject: "Hi\nthere".to_owned(),
            welcome_body: "x".repeat(WELCOME_BODY_MAX + 1),
            ..campaign()
        };
        let errors = validate_campaign(&draft, &facts());
        assert_eq!(
            fields(&errors),
            ["notify", "welcome_subject", "welcome_body"]
        );
        assert!(
            errors
                .get("notify")
                .is_some_and(|m| m.contains("ops@example.com"))
        );
    }

    #[test]
    fn r_gw_4_cascade_all_overrides_the_mid_cascade_profile() {
        assert_eq!(
            cascade_rule(Some(("Rescue", Provider::FlexFactor)), Some("Main cascade")),
            CascadeRule::CascadeAll {
                mid: "Rescue".to_owned(),
                provider: Provider::FlexFactor
            }
        );
        assert_eq!(
            cascade_rule(None, Some("Main cascade")),
            CascadeRule::Profile {
                name: "Main cascade".to_owned()
            }
        );
        assert_eq!(cascade_rule(None, None), CascadeRule::None);
    }

    #[test]
    fn the_welcome_email_is_filled_in() {
        let values = WelcomeValues {
            first_name: "Ada",
            order_id: 42,
            product: "Vitamins",
            total: usd(4999),
        };
        assert_eq!(
            fill_placeholders(&campaign().welcome_body, &values),
            format!("Order 42: Vitamins, {}.", usd(4999))
        );
        assert_eq!(fill_placeholders("Hi {first_name}", &values), "Hi Ada");
    }
}
