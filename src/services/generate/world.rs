//! What generated orders are made of, read once before generating: the campaigns that can
//! sell (their products, the MIDs that take their sales, the cascade behind each MID), the
//! SPEC 4.6 test cards each campaign's MIDs accept, and the time generated history ends.

use chrono::{DateTime, Utc};

use crate::domain::card::{Bin, CardNumber, Fingerprint};
use crate::domain::catalogue::{Campaign, SalesRoute, StoredProduct};
use crate::domain::ids::CampaignId;
use crate::domain::mid::Mid;
use crate::domain::money::{Currency, Money};
use crate::domain::provider::Provider;
use crate::domain::routing::RoutingProfile;
use crate::domain::sale::{Payment, may_take};
use crate::domain::test_gateway::Scenario;

/// The test cards of SPEC 4.6 that generated customers pay with, and how often (weights).
/// Mostly cards that approve; every declining behaviour of the table appears.
pub const CARDS: &[(&str, u32)] = &[
    ("4111111111111111", 300),
    ("5555555555554444", 200),
    ("378282246310005", 60),
    ("6011111111111117", 40),
    ("4000056655665556", 80),
    ("5200828282828210", 60),
    ("5105105105105100", 30),
    ("4000000000000002", 40),
    ("4000000000009995", 40),
    ("4000000000000341", 30),
    ("4000000000009979", 15),
    ("4000000000000069", 15),
    ("4000000000000119", 15),
    ("5200000000000007", 15),
    ("4000000000005126", 15),
    ("4000000000007726", 15),
];

/// A test card as the portal keeps it: never its number, only what the BIN says, the
/// scenario the test gateway's vault keeps, and the fingerprint.
pub struct Card {
    pub first6: String,
    pub last4: String,
    pub bin: Bin,
    pub scenario: Scenario,
    pub fingerprint: Fingerprint,
    pub weight: u32,
}

/// Where a campaign's new sales go first.
pub enum Entry {
    /// Index into [`World::mids`].
    Mid(usize),
    /// An ATRI profile's name and its members (MID index, weight).
    Atri {
        profile: String,
        members: Vec<(usize, u32)>,
    },
}

/// Where a MID's soft declines cascade (R-EN-1, R-GW-4).
pub struct Cascade {
    /// As the routing note names it: "cascadeAll" or "cascade profile NAME".
    pub via: String,
    /// MID indices, in cascade order.
    pub mids: Vec<usize>,
}

/// A campaign that can take generated sales.
pub struct Shop {
    pub campaign: CampaignId,
    pub currency: Currency,
    pub products: Vec<StoredProduct>,
    pub entry: Entry,
    /// The cards (index into [`World::cards`]) some entry MID accepts, with their weights.
    pub cards: Vec<(usize, u32)>,
}

pub struct World {
    /// Generated history ends here; orders spread over the 90 days before it.
    pub now: DateTime<Utc>,
    pub seed: u64,
    pub mids: Vec<Mid>,
    /// Per MID (same index): its cascade, or `None` when it has no cascade profile.
    pub cascades: Vec<Option<Cascade>>,
    pub cards: Vec<Card>,
    pub shops: Vec<Shop>,
}

/// What the world is built from, as the services read it.
pub struct Facts<'a> {
    pub now: DateTime<Utc>,
    pub seed: u64,
    pub mids: Vec<Mid>,
    pub profiles: &'a [RoutingProfile],
    pub offered: Vec<(Campaign, Vec<StoredProduct>)>,
    pub fingerprint_key: &'a [u8],
}

/// Whether `mid` may take a sale paid with `bin` in `currency` (R-MID-2, R-MID-3), monthly
/// caps aside: generated history does not count against them.
pub fn accepts(mid: &Mid, bin: Bin, currency: Currency) -> bool {
    let zero = Money::zero(currency);
    may_take(mid, Payment::Card(bin), zero, Money::zero(mid.currency)).is_ok()
}

impl World {
    /// The world of `facts`: the campaigns with a product on sale and an enabled test MID
    /// among the MIDs that take their sales, each with the cards those MIDs accept.
    pub fn new(facts: Facts<'_>) -> World {
        let cards: Vec<Card> = CARDS
            .iter()
            .filter_map(|(number, weight)| {
                let number = CardNumber::parse(number).ok()?;
                Some(Card {
                    first6: number.first6().to_owned(),
                    last4: number.last4().to_owned(),
                    bin: number.bin(),
                    scenario: Scenario::of(&number),
                    fingerprint: number.fingerprint(facts.fingerprint_key),
                    weight: *weight,
                })
            })
            .collect();
        let mids = facts.mids;
        let index_of = |id| mids.iter().position(|m| m.id == id);
        let cascade_all = mids.iter().position(|m| m.cascade_all);
        let cascades = mids
            .iter()
            .map(|mid| match cascade_all {
                Some(holder) => Some(Cascade {
                    via: "cascadeAll".to_owned(),
                    mids: vec![holder],
                }),
                None => {
                    let profile = facts
                        .profiles
                        .iter()
                        .find(|p| Some(p.id) == mid.cascade_profile_id)?;
                    let mut members = profile.members.clone();
                    members.sort_by_key(|m| m.position);
                    Some(Cascade {
                        via: format!("cascade profile {}", profile.name),
                        mids: members.iter().filter_map(|m| index_of(m.mid_id)).collect(),
                    })
                }
            })
            .collect();
        let mut shops = Vec::new();
        for (campaign, products) in facts.offered {
            let entry = match campaign.route {
                SalesRoute::Mid(id) => match index_of(id) {
                    Some(i) => Entry::Mid(i),
                    None => continue,
                },
                SalesRoute::Atri(id) => {
                    let Some(profile) = facts.profiles.iter().find(|p| p.id == id) else {
                        continue;
                    };
                    Entry::Atri {
                        profile: profile.name.clone(),
                        members: profile
                            .members
                            .iter()
                            .filter_map(|m| {
                                Some((index_of(m.mid_id)?, u32::try_from(m.weight).ok()?))
                            })
                            .collect(),
                    }
                }
            };
            let entry_mids: Vec<usize> = match &entry {
                Entry::Mid(i) => vec![*i],
                Entry::Atri { members, .. } => members
                    .iter()
                    .filter(|(_, weight)| *weight > 0)
                    .map(|(i, _)| *i)
                    .collect(),
            };
            let takes = |i: &usize| mids[*i].provider == Provider::Test && mids[*i].enabled;
            let card_ok = |card: &Card| {
                entry_mids
                    .iter()
                    .filter(|i| takes(i))
                    .any(|i| accepts(&mids[*i], card.bin, campaign.currency))
            };
            let accepted: Vec<(usize, u32)> = cards
                .iter()
                .enumerate()
                .filter(|(_, card)| card_ok(card))
                .map(|(i, card)| (i, card.weight))
                .collect();
            if products.is_empty() || accepted.is_empty() {
                continue;
            }
            shops.push(Shop {
                campaign: campaign.id,
                currency: campaign.currency,
                products,
                entry,
                cards: accepted,
            });
        }
        World {
            now: facts.now,
            seed: facts.seed,
            mids,
            cascades,
            cards,
            shops,
        }
    }
}
