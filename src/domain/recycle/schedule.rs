//! When and for how much each attempt runs (R-RB-6 and the price rules).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::{BlockMerchant, RecycleProfile, ReductionType};
use crate::domain::money::MinorUnits;

/// One attempt the profile would make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAttempt {
    pub number: usize,
    pub due: NaiveDate,
    pub amount: MinorUnits,
    pub merchant: BlockMerchant,
}

/// R-RB-6 and the price rules: each active attempt's due date (its wait counted from the
/// previous attempt, the first from the decline; moved to the next Friday when Bill on Fridays
/// is on) and its amount (the previous price less the reduction, never below the minimum price).
/// An amount below the minimum price is not recycled at all.
pub fn schedule(
    profile: &RecycleProfile,
    declined_on: NaiveDate,
    amount: MinorUnits,
) -> Vec<PlannedAttempt> {
    if amount < profile.minimum_price {
        return Vec::new();
    }
    let mut plan = Vec::new();
    let mut previous_date = declined_on;
    let mut price = amount.get();
    for number in profile.active_attempts() {
        let rule = profile.attempt(number);
        let mut due = previous_date + Duration::days(rule.wait_days);
        if profile.bill_on_fridays {
            due = next_friday(due);
        }
        let reduced = match profile.reduction_type {
            ReductionType::Percent => {
                price - (i128::from(price) * i128::from(rule.reduction) / 10_000) as i64
            }
            ReductionType::Flat => price.saturating_sub(rule.reduction),
        };
        price = reduced.max(profile.minimum_price.get());
        plan.push(PlannedAttempt {
            number,
            due,
            amount: MinorUnits::new(price),
            merchant: profile.merchant_of(number),
        });
        previous_date = due;
    }
    plan
}

/// The same day when it is a Friday, else the next Friday.
pub fn next_friday(date: NaiveDate) -> NaiveDate {
    let ahead =
        (7 + Weekday::Fri.num_days_from_monday() - date.weekday().num_days_from_monday()) % 7;
    date + Duration::days(i64::from(ahead))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_friday_keeps_a_friday() {
        let fri = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(next_friday(fri), fri);
        assert_eq!(
            next_friday(fri + Duration::days(1)),
            fri + Duration::days(7)
        );
        assert_eq!(next_friday(fri - Duration::days(4)), fri);
    }
}
