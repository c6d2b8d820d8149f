//! A generated customer: a name, an email and a phone from the word lists, a US billing and
//! shipping address, sometimes a blacklist entry, and one or two of the test cards the
//! campaign's MIDs accept, kept as the portal keeps cards (R-TG-2): the test gateway's token,
//! brand, type, first 6, last 4, expiry and the keyed fingerprint, never the number.

use chrono::{DateTime, Datelike, Utc};
use fastrand::Rng;

use super::model::{Step, Wallet, next, pick, weighted};
use super::words;
use crate::db::bulk::{AddressRow, BlacklistRow, CustomerRow, PaymentMethodRow};

/// One customer in this many is on the blacklist.
const BLACKLISTED_ONE_IN: u32 = 250;

/// A street address: line 1, line 2 (often empty) and the postal code in `zip3`'s area.
fn street_address(rng: &mut Rng, zip3: u32) -> (String, String, String) {
    let street = pick(rng, words::STREETS).unwrap_or("Main");
    let kind = pick(rng, words::STREET_KINDS).unwrap_or("St");
    let line2 = if rng.u32(0..4) == 0 {
        let unit = pick(rng, words::UNITS).unwrap_or("Apt");
        format!("{unit} {}{}", rng.u32(1..40), rng.char('A'..='F'))
    } else {
        String::new()
    };
    (
        format!("{} {street} {kind}", rng.u32(1..9900)),
        line2,
        format!("{zip3:03}{:02}", rng.u32(0..100)),
    )
}

impl Step<'_> {
    /// Makes the customer, first seen at `at`, with its addresses and cards.
    pub(super) fn customer(&mut self, at: DateTime<Utc>) {
        let id = next(&mut self.ids.customers);
        self.person.id = id;
        let rng = &mut self.person.rng;
        let first = pick(rng, words::FIRST_NAMES).unwrap_or("Alex");
        let last = pick(rng, words::LAST_NAMES).unwrap_or("Doe");
        let domain = pick(rng, words::EMAIL_DOMAINS).unwrap_or("example.com");
        let email = format!(
            "{}.{}{id}@{domain}",
            first.to_lowercase(),
            last.to_lowercase()
        );
        let (city, state, zip3, area) =
            pick(rng, words::CITIES).unwrap_or(("Austin", "TX", 787, 512));
        let phone = format!("+1 ({area}) 555-01{:02}", rng.u32(0..100));
        let billing = street_address(rng, zip3);
        let shipping = if rng.u32(0..10) == 0 {
            street_address(rng, zip3)
        } else {
            billing.clone()
        };
        for (kind, (line1, line2, postal_code)) in [("billing", billing), ("shipping", shipping)] {
            self.batch.addresses.push(AddressRow {
                customer_id: id,
                kind,
                line1,
                line2,
                city,
                state,
                postal_code,
                country: "US",
            });
        }
        let blacklisted = rng.u32(0..BLACKLISTED_ONE_IN) == 0;
        if blacklisted {
            self.batch.blacklist.push(BlacklistRow {
                id: next(&mut self.ids.blacklist),
                customer_id: id,
                value: email.clone(),
                reason: pick(rng, words::BLACKLIST_REASONS).unwrap_or(""),
                created_at: at,
            });
        }
        self.batch.customers.push(CustomerRow {
            id,
            first_name: first,
            last_name: last,
            email,
            phone,
            blacklisted,
            created_at: at,
        });
        self.wallets(at);
    }

    /// One card, or two for a quarter of customers, from those the shop's MIDs accept.
    fn wallets(&mut self, at: DateTime<Utc>) {
        let world = self.world;
        let cards = &world.shops[self.person.shop].cards;
        let rng = &mut self.person.rng;
        let count = if rng.u32(0..4) == 0 { 2 } else { 1 };
        let mut chosen: Vec<usize> = Vec::with_capacity(count);
        for _ in 0..count {
            let card = weighted(rng, cards);
            if !chosen.contains(&card) {
                chosen.push(card);
            }
        }
        for card in chosen {
            let id = next(&mut self.ids.payment_methods);
            let token = format!("tok_{id:012x}{:012x}", rng.u64(..) >> 16);
            let c = &world.cards[card];
            self.batch.payment_methods.push(PaymentMethodRow {
                id,
                customer_id: self.person.id,
                token: token.clone(),
                brand: c.bin.brand,
                card_type: c.bin.card_type,
                first6: c.first6.clone(),
                last4: c.last4.clone(),
                exp_month: rng.i64(1..=12),
                exp_year: i64::from(world.now.year()) + rng.i64(1..=5),
                fingerprint: c.fingerprint.as_str().to_owned(),
                created_at: at,
            });
            self.person.wallets.push(Wallet {
                payment_method: id,
                card,
                token,
                charges: 0,
                created_at: at,
            });
        }
    }
}
