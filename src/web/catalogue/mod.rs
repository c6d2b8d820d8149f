//! `/products` and `/campaigns`: the catalogue lists, add and edit forms, inline
//! enable/disable, and archive with a confirmation.

mod campaign_form;
mod campaigns;
mod product_form;
mod products;
pub mod reasons;

pub use campaign_form::{
    CampaignForm, cascade_note, create as create_campaign, edit_form as edit_campaign,
    new_form as new_campaign, update as update_campaign,
};
pub use campaigns::{
    archive as archive_campaign, list as campaigns, set_enabled as set_campaign_enabled,
};
pub use product_form::{
    ProductForm, create as create_product, edit_form as edit_product, new_form as new_product,
    update as update_product,
};
pub use products::{
    archive as archive_product, list as products, set_enabled as set_product_enabled,
};

/// A catalogue error keeps its class, code and message, like every service error
/// (`crate::error`); an unexpected one keeps its cause for the log.
/// A list's query string state: its filters as (key, value) pairs, and its sort column and
/// direction, from which the pages build their links.
struct ListLinks<'a> {
    base: &'static str,
    filters: Vec<(&'static str, &'a str)>,
    sort: &'a str,
    dir: &'a str,
    /// The column the list is sorted by when none is asked for.
    default_sort: &'static str,
}

impl ListLinks<'_> {
    /// The list's URL with these filters and `extra` pairs replacing their keys.
    fn url(&self, extra: &[(&str, &str)]) -> String {
        let mut pairs: Vec<(&str, &str)> = self.filters.clone();
        pairs.push(("sort", self.sort));
        pairs.push(("dir", self.dir));
        for (k, v) in extra {
            pairs.retain(|(key, _)| key != k);
            pairs.push((k, v));
        }
        pairs.retain(|(_, v)| !v.is_empty());
        if pairs.is_empty() {
            return self.base.to_owned();
        }
        format!(
            "{}?{}",
            self.base,
            serde_urlencoded::to_string(&pairs).unwrap_or_default()
        )
    }

    /// The link a column header sorts by: ascending first, then flips.
    fn sort_url(&self, column: &str) -> String {
        let dir = if self.sorted_by(column) && self.dir != "desc" {
            "desc"
        } else {
            "asc"
        };
        self.url(&[("sort", column), ("dir", dir), ("page", "")])
    }

    fn sorted_by(&self, column: &str) -> bool {
        self.sort == column || (column == self.default_sort && self.sort.is_empty())
    }

    /// The column's `aria-sort`: "ascending", "descending", or "" when not sorted by it.
    fn sort_state(&self, column: &str) -> &'static str {
        match (self.sorted_by(column), self.dir == "desc") {
            (true, false) => "ascending",
            (true, true) => "descending",
            _ => "",
        }
    }

    /// The pager's base: the URL with every parameter but the page, ready for `page=N`.
    fn pager_base(&self) -> String {
        let url = self.url(&[("page", "")]);
        if url.contains('?') {
            format!("{url}&")
        } else {
            format!("{url}?")
        }
    }
}

/// "yes" / "no" as a filter on a flag; anything else is "either".
fn yes_no(raw: &str) -> Option<bool> {
    match raw {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}
