//! A new sale's rules that need no database (SPEC 4.8): which MIDs may take it (R-MID-2,
//! R-MID-3, the monthly cap), the ATRI pick by weight (R-OR-1), item prices and the total
//! (R-OR-2), and a new subscription's first bill date (R-OR-3). The service gathers the facts
//! (the MIDs, this month's sales per MID, the products) and records every step on the order.

use chrono::{DateTime, Days, Utc};

use super::card::{Bin, Brand, CardType};
use super::catalogue::Product;
use super::ids::MidId;
use super::mid::Mid;
use super::money::{Money, MoneyError};

/// How the customer pays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    Card(Bin),
    Echeck,
}

/// Why a MID was passed over for a sale; recorded on the order in these words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PassedOver {
    #[error("the MID is disabled")]
    Disabled,
    #[error("the MID blocks prepaid cards")]
    BlocksPrepaid,
    #[error("the MID blocks debit cards")]
    BlocksDebit,
    #[error("the MID does not accept {0}")]
    NotAccepted(&'static str),
    #[error("the MID settles in another currency")]
    OtherCurrency,
    #[error("the sale would pass the MID's monthly cap")]
    OverCap,
    #[error("salvage-only MIDs take no new sales")]
    SalvageOnly,
}

/// Whether `mid` may take a new sale of `amount` paid by `payment`, given what it has taken this
/// month (`month_total`, in its currency).
pub fn may_take(
    mid: &Mid,
    payment: Payment,
    amount: Money,
    month_total: Money,
) -> Result<(), PassedOver> {
    if mid.provider.is_salvage_only() {
        return Err(PassedOver::SalvageOnly);
    }
    if !mid.enabled {
        return Err(PassedOver::Disabled);
    }
    match payment {
        Payment::Echeck if !mid.accepts.echeck => return Err(PassedOver::NotAccepted("eCheck")),
        Payment::Echeck => {}
        Payment::Card(bin) => {
            match bin.card_type {
                CardType::Prepaid if mid.block_prepaid => return Err(PassedOver::BlocksPrepaid),
                CardType::Debit if mid.block_debit => return Err(PassedOver::BlocksDebit),
                _ => {}
            }
            let accepted = match bin.brand {
                Brand::Visa => mid.accepts.visa,
                Brand::Mastercard => mid.accepts.mastercard,
                Brand::Amex => mid.accepts.amex,
                Brand::Discover => mid.accepts.discover,
                Brand::Other => false,
            };
            if !accepted {
                return Err(PassedOver::NotAccepted(bin.brand.label()));
            }
        }
    }
    if amount.currency() != mid.currency {
        return Err(PassedOver::OtherCurrency);
    }
    if let Some(cap) = mid.monthly_cap {
        let after = month_total
            .checked_add(amount)
            .map_err(|_| PassedOver::OverCap)?;
        if after.amount() > cap.amount() {
            return Err(PassedOver::OverCap);
        }
    }
    Ok(())
}

/// The MID an ATRI profile sends a sale to: among the `eligible` (MID, weight) pairs, the one
/// whose share of the total weight `roll` falls in (`roll` is uniform in 0..total weight, drawn
/// by the caller). `None` when none is eligible.
pub fn pick_by_weight(eligible: &[(MidId, u32)], roll: u64) -> Option<MidId> {
    let total: u64 = eligible.iter().map(|(_, w)| u64::from(*w)).sum();
    if total == 0 {
        return None;
    }
    let mut point = roll % total;
    for (mid, weight) in eligible {
        let weight = u64::from(*weight);
        if point < weight {
            return Some(*mid);
        }
        point -= weight;
    }
    None
}

/// One line of an order as priced: what it charges now, and for a recurring product what it
/// bills afterwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PricedLine {
    pub quantity: u32,
    pub unit_price: Money,
    /// quantity x unit price (R-CS-6).
    pub price: Money,
    /// What is charged now: the trial price x quantity for a trial, else `price`.
    pub charged_now: Money,
}

/// Prices `quantity` of `product` (with `option`) for a new sale (R-OR-2).
pub fn price_line(
    product: &Product,
    option: Option<&str>,
    quantity: u32,
) -> Result<PricedLine, MoneyError> {
    let unit_price = product.unit_price(option);
    let price = unit_price.checked_times(quantity)?;
    let charged_now = match product.trial {
        Some(trial) => trial.price.checked_times(quantity)?,
        None => price,
    };
    Ok(PricedLine {
        quantity,
        unit_price,
        price,
        charged_now,
    })
}

/// The order's total: the sum of what its lines charge now, in one currency (R-OR-2).
pub fn order_total(lines: &[PricedLine]) -> Result<Option<Money>, MoneyError> {
    let mut lines = lines.iter();
    let Some(first) = lines.next() else {
        return Ok(None);
    };
    lines
        .try_fold(first.charged_now, |total, line| {
            total.checked_add(line.charged_now)
        })
        .map(Some)
}

/// When a new subscription bills next (R-OR-3): after its trial, else after one cycle. `None`
/// for a one-off product.
pub fn first_bill_at(product: &Product, sold_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let cycle = product.cycle_days?;
    let days = product.trial.map_or(cycle, |trial| trial.days);
    sold_at.checked_add_days(Days::new(u64::from(days)))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::domain::catalogue::{ProductOption, Trial};
    use crate::domain::mid::Accepts;
    use crate::domain::money::{Currency, MinorUnits};
    use crate::domain::provider::Provider;

    fn usd(minor: i64) -> Money {
        Money::new(MinorUnits::from_minor(minor), Currency::Usd)
    }

    fn mid() -> Mid {
        Mid {
            id: MidId(1),
            title: "Store".to_owned(),
            provider: Provider::Test,
            cs_phone: String::new(),
            cs_email: String::new(),
            descriptor: String::new(),
            currency: Currency::Usd,
            monthly_cap: Some(usd(10_000)),
            enabled: true,
            block_prepaid: true,
            block_debit: false,
            accepts: Accepts {
                echeck: false,
                visa: true,
                mastercard: true,
                amex: false,
                discover: true,
            },
            expiry_days: None,
            cascade_all: false,
            cascade_profile_id: None,
            settlement_delay: chrono::Duration::hours(24),
            latency: std::time::Duration::ZERO,
        }
    }

    fn card(brand: Brand, card_type: CardType) -> Payment {
        Payment::Card(Bin { brand, card_type })
    }

    #[test]
    fn r_mid_2_and_r_mid_3_a_mid_refuses_what_it_does_not_take() {
        let visa = card(Brand::Visa, CardType::Credit);
        let take = |mid: &Mid, payment| may_take(mid, payment, usd(4999), usd(0));
        assert_eq!(take(&mid(), visa), Ok(()));
        let disabled = Mid {
            enabled: false,
            ..mid()
        };
        assert_eq!(take(&disabled, visa), Err(PassedOver::Disabled));
        assert_eq!(
            take(&mid(), card(Brand::Mastercard, CardType::Prepaid)),
            Err(PassedOver::BlocksPrepaid)
        );
        let blocks_debit = Mid {
            block_debit: true,
            ..mid()
        };
        assert_eq!(
            take(&blocks_debit, card(Brand::Visa, CardType::Debit)),
            Err(PassedOver::BlocksDebit)
        );
        assert_eq!(
            take(&mid(), card(Brand::Amex, CardType::Credit)),
            Err(PassedOver::NotAccepted("Amex"))
        );
        assert_eq!(
            take(&mid(), Payment::Echeck),
            Err(PassedOver::NotAccepted("eCheck"))
        );
        let salvage = Mid {
            provider: Provider::FlexPay,
            ..mid()
        };
        assert_eq!(take(&salvage, visa), Err(PassedOver::SalvageOnly));
    }

    #[test]
    fn r_or_1_the_monthly_cap_and_the_currency_pass_a_mid_over() {
        let visa = card(Brand::Visa, CardType::Credit);
        assert_eq!(
            may_take(&mid(), visa, usd(1000), usd(9000)),
            Ok(()),
            "up to the cap"
        );
        assert_eq!(
            may_take(&mid(), visa, usd(1001), usd(9000)),
            Err(PassedOver::OverCap)
        );
        let euros = Money::new(MinorUnits::from_minor(100), Currency::Eur);
        assert_eq!(
            may_take(&mid(), visa, euros, usd(0)),
            Err(PassedOver::OtherCurrency)
        );
        let uncapped = Mid {
            monthly_cap: None,
            ..mid()
        };
        assert_eq!(
            may_take(&uncapped, visa, usd(1_000_000), usd(9_000_000)),
            Ok(())
        );
    }

    #[test]
    fn r_or_1_atri_picks_by_weight() {
        let eligible = [(MidId(1), 2), (MidId(2), 1)];
        let picks: Vec<MidId> = (0..6)
            .map(|roll| pick_by_weight(&eligible, roll).unwrap())
            .collect();
        assert_eq!(
            picks,
            [MidId(1), MidId(1), MidId(2), MidId(1), MidId(1), MidId(2)],
            "two thirds to the first"
        );
        assert_eq!(pick_by_weight(&[], 3), None);
        assert_eq!(pick_by_weight(&[(MidId(1), 0)], 3), None);
    }

    fn vitamins() -> Product {
        Product {
            name: "Vitamins".to_owned(),
            sku: "VIT".to_owned(),
            price: usd(2500),
            trial: Some(Trial {
                days: 14,
                price: usd(199),
            }),
            cycle_days: Some(30),
            options: vec![ProductOption {
                name: "Large".to_owned(),
                price: Some(usd(4000)),
            }],
            shippable: true,
        }
    }

    #[test]
    fn r_or_2_items_are_quantity_times_unit_price_and_trials_charge_their_price() {
        let line = price_line(&vitamins(), Some("Large"), 3).unwrap();
        assert_eq!(
            (line.unit_price, line.price, line.charged_now),
            (usd(4000), usd(12_000), usd(597))
        );
        let one_off = Product {
            trial: None,
            cycle_days: None,
            ..vitamins()
        };
        let plain = price_line(&one_off, None, 2).unwrap();
        assert_eq!(plain.charged_now, usd(5000));
        assert_eq!(order_total(&[line, plain]), Ok(Some(usd(5597))));
        assert_eq!(order_total(&[]), Ok(None));
        let huge = Product {
            price: usd(i64::MAX / 2),
            trial: None,
            ..vitamins()
        };
        assert_eq!(
            price_line(&huge, None, 3),
            Err(MoneyError::Overflow),
            "no overflow"
        );
        let euros = Product {
            price: Money::new(MinorUnits::from_minor(100), Currency::Eur),
            trial: None,
            options: Vec::new(),
            ..vitamins()
        };
        let euro_line = price_line(&euros, None, 1).unwrap();
        assert!(
            matches!(
                order_total(&[plain, euro_line]),
                Err(MoneyError::CurrencyMismatch(..))
            ),
            "one currency per order"
        );
    }

    #[test]
    fn r_or_3_a_subscription_bills_after_its_trial_or_one_cycle() {
        let sold = Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap();
        assert_eq!(
            first_bill_at(&vitamins(), sold),
            Some(Utc.with_ymd_and_hms(2026, 12, 16, 10, 0, 0).unwrap())
        );
        let no_trial = Product {
            trial: None,
            ..vitamins()
        };
        assert_eq!(
            first_bill_at(&no_trial, sold),
            Some(Utc.with_ymd_and_hms(2027, 1, 1, 10, 0, 0).unwrap())
        );
        let one_off = Product {
            cycle_days: None,
            trial: None,
            ..vitamins()
        };
        assert_eq!(first_bill_at(&one_off, sold), None);
    }
}
