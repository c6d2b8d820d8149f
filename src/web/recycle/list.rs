//! `GET /recycle-billing`: the profiles, filtered by name and MID (the filters live in the URL).

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::mid::Mid;
use crate::domain::recycle::{ATTEMPTS, Block, StoredProfile};
use crate::error::AppError;
use crate::services::Services;
use crate::web::page::{Layout, PageCtx, render};

use super::merchant_label;

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Part of a profile's name.
    q: String,
    /// A MID's id: profiles that apply to it or route attempts to it.
    mid: String,
}

impl ListQuery {
    fn mid_id(&self) -> Option<MidId> {
        self.mid.trim().parse::<i64>().ok().map(MidId)
    }

    /// Whether any filter is set, which opens the filter panel.
    fn filtered(&self) -> bool {
        !self.q.trim().is_empty() || self.mid_id().is_some()
    }
}

/// A profile as the list shows it.
struct ProfileRow {
    id: RecycleProfileId,
    name: String,
    edit_href: String,
    mids: String,
    /// The blocks that run at least one attempt, with their merchant.
    routing: Vec<String>,
    active: String,
    bill_on_fridays: bool,
}

/// The active attempts as words: "all 10", "attempt 4 only", "attempts 1, 2, 3".
fn active_label(active: &[usize]) -> String {
    let name = |n: &usize| {
        if *n == ATTEMPTS {
            "final".to_owned()
        } else {
            n.to_string()
        }
    };
    match active {
        [] => "none".to_owned(),
        [only] if *only == ATTEMPTS => "the final attempt only".to_owned(),
        [only] => format!("attempt {only} only"),
        all if all.len() == ATTEMPTS => format!("all {ATTEMPTS}"),
        some => format!(
            "attempts {}",
            some.iter().map(name).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn row(stored: StoredProfile, mids: &[Mid]) -> ProfileRow {
    let p = &stored.profile;
    let titles: Vec<String> = p
        .apply_to
        .iter()
        .map(|id| {
            mids.iter()
                .find(|m| m.id == *id)
                .map_or_else(|| id.to_string(), |m| m.title.clone())
        })
        .collect();
    let routing = Block::ALL
        .iter()
        .filter(|b| b.attempts().any(|n| !p.attempt(n).skip))
        .map(|b| {
            format!(
                "{}: {}",
                b.label(),
                merchant_label(p.blocks[b.index()], mids)
            )
        })
        .collect();
    ProfileRow {
        id: stored.id,
        edit_href: format!("/recycle-billing/{}/edit", stored.id),
        name: p.name.clone(),
        mids: titles.join(", "),
        routing,
        active: active_label(&p.active_attempts()),
        bill_on_fridays: p.bill_on_fridays,
    }
}

#[derive(Template)]
#[template(path = "pages/recycle/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<ProfileRow>,
    query: ListQuery,
    /// Every MID, for the MID filter: (id, title).
    mid_choices: Vec<(String, String)>,
}

pub async fn list(
    ctx: PageCtx,
    services: web::Data<Services>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let mids = services.mids.all().await?;
    let rows = services
        .recycle
        .search(&query.q, query.mid_id())
        .await?
        .into_iter()
        .map(|p| row(p, &mids))
        .collect();
    render(&ListPage {
        layout: ctx.layout("Recycle Billing", "recycle"),
        rows,
        mid_choices: mids
            .iter()
            .map(|m| (m.id.to_string(), m.title.clone()))
            .collect(),
        query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn active_attempts_read_as_words() {
        assert_eq!(active_label(&[4]), "attempt 4 only");
        assert_eq!(active_label(&[10]), "the final attempt only");
        assert_eq!(active_label(&[1, 2, 3]), "attempts 1, 2, 3");
        assert_eq!(active_label(&[1, 10]), "attempts 1, final");
        assert_eq!(active_label(&(1..=10).collect::<Vec<_>>()), "all 10");
    }
}
