//! When and for how much each attempt runs (R-RB-6 and the price rules).

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::{
    ATTEMPTS, AttemptRule, Block, BlockMerchant, RecycleDraft, RecycleProfile, Reduction,
    WAIT_MAX_DAYS,
};
use crate::domain::money::{Money, MoneyError};

/// One attempt the profile would make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedAttempt {
    pub number: usize,
    pub due: NaiveDate,
    pub amount: Money,
    pub merchant: BlockMerchant,
}

/// What a schedule reads from a profile: a saved profile's, or a draft's once the values the
/// schedule uses are in range (the editor previews a profile before its name or MIDs are set).
#[derive(Debug, Clone, Copy)]
pub struct ScheduleInput<'a> {
    bill_on_fridays: bool,
    minimum_price: Money,
    currency: crate::domain::money::Currency,
    attempts: &'a [AttemptRule; ATTEMPTS],
    blocks: &'a [BlockMerchant; 4],
}

impl<'a> From<&'a RecycleProfile> for ScheduleInput<'a> {
    fn from(p: &'a RecycleProfile) -> Self {
        Self {
            bill_on_fridays: p.bill_on_fridays,
            minimum_price: p.minimum_price,
            currency: p.currency,
            attempts: &p.attempts,
            blocks: &p.blocks,
        }
    }
}

impl<'a> ScheduleInput<'a> {
    /// A draft's schedule input, when every value the schedule reads is one a profile may hold:
    /// the minimum price in the draft's currency and not negative, and each active attempt's
    /// wait within 0..=[`WAIT_MAX_DAYS`] days and its reduction of the draft's kind and
    /// currency. Names, MIDs and the FlexPay rules do not matter to a schedule.
    pub fn of_draft(d: &'a RecycleDraft) -> Option<Self> {
        let minimum_ok =
            d.minimum_price.currency() == d.currency && d.minimum_price.amount().get() >= 0;
        let attempts_ok = d.attempts.iter().filter(|a| !a.skip).all(|a| {
            (0..=WAIT_MAX_DAYS).contains(&a.wait_days)
                && a.reduction.kind() == d.reduction_type
                && match a.reduction {
                    Reduction::Percent(_) => true,
                    Reduction::Flat(m) => m.currency() == d.currency && m.amount().get() >= 0,
                }
        });
        (minimum_ok && attempts_ok).then_some(Self {
            bill_on_fridays: d.bill_on_fridays,
            minimum_price: d.minimum_price,
            currency: d.currency,
            attempts: &d.attempts,
            blocks: &d.blocks,
        })
    }

    pub fn currency(&self) -> crate::domain::money::Currency {
        self.currency
    }

    pub fn minimum_price(&self) -> Money {
        self.minimum_price
    }

    fn active(&self) -> impl Iterator<Item = (usize, &'a AttemptRule)> {
        (1..).zip(self.attempts.iter()).filter(|(_, a)| !a.skip)
    }

    /// R-RB-6 and the price rules: each active attempt's due date (its wait counted from the
    /// previous attempt, the first from the decline; moved to the next Friday when Bill on
    /// Fridays is on) and its amount (the previous price less the reduction, never below the
    /// minimum price). An amount below the minimum price is not recycled at all. `amount` must
    /// be in the profile's currency.
    pub fn schedule(
        self,
        declined_on: NaiveDate,
        amount: Money,
    ) -> Result<Vec<PlannedAttempt>, MoneyError> {
        if amount.currency() != self.currency {
            return Err(MoneyError::CurrencyMismatch(
                amount.currency(),
                self.currency,
            ));
        }
        if amount.amount() < self.minimum_price.amount() {
            return Ok(Vec::new());
        }
        let mut plan = Vec::new();
        let mut previous_date = declined_on;
        let mut price = amount;
        for (number, rule) in self.active() {
            let mut due = previous_date + Duration::days(rule.wait_days);
            if self.bill_on_fridays {
                due = next_friday(due);
            }
            let reduced = price.checked_sub(rule.reduction.off(price))?;
            price = if reduced.amount() < self.minimum_price.amount() {
                self.minimum_price
            } else {
                reduced
            };
            plan.push(PlannedAttempt {
                number,
                due,
                amount: price,
                merchant: self.blocks[Block::of_attempt(number).index()],
            });
            previous_date = due;
        }
        Ok(plan)
    }

    /// Whether some active attempt's flat reduction is larger than `price`: the price then
    /// stops at the minimum price, which the preview points out.
    pub fn flat_reduction_exceeds(self, price: Money) -> bool {
        self.active().any(
            |(_, a)| matches!(a.reduction, Reduction::Flat(off) if off.amount() > price.amount()),
        )
    }
}

/// [`ScheduleInput::schedule`] of a saved profile.
pub fn schedule(
    profile: &RecycleProfile,
    declined_on: NaiveDate,
    amount: Money,
) -> Result<Vec<PlannedAttempt>, MoneyError> {
    ScheduleInput::from(profile).schedule(declined_on, amount)
}

/// [`ScheduleInput::flat_reduction_exceeds`] of a saved profile.
pub fn flat_reduction_exceeds(profile: &RecycleProfile, price: Money) -> bool {
    ScheduleInput::from(profile).flat_reduction_exceeds(price)
}

/// The same day when it is a Friday, else the next Friday.
pub fn next_friday(date: NaiveDate) -> NaiveDate {
    let ahead =
        (7 + Weekday::Fri.num_days_from_monday() - date.weekday().num_days_from_monday()) % 7;
    date + Duration::days(i64::from(ahead))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::domain::ids::MidId;
    use crate::domain::money::{BasisPoints, Currency, MinorUnits};
    use crate::domain::recycle::RecycleDraft;
    use crate::domain::recycle::{ATTEMPTS, AttemptRule, Block, Reduction, ReductionType};

    fn usd(minor: i64) -> Money {
        Money::new(MinorUnits::from_minor(minor), Currency::Usd)
    }

    fn percent(points: u32) -> Reduction {
        Reduction::Percent(BasisPoints::new(points).unwrap())
    }

    /// A profile whose attempts are `rules` (the rest skipped), on the original MID.
    fn profile(rules: &[AttemptRule], bill_on_fridays: bool, minimum: i64) -> RecycleProfile {
        let mut attempts = [AttemptRule {
            skip: true,
            reduction: percent(0),
            wait_days: 0,
        }; ATTEMPTS];
        attempts[..rules.len()].copy_from_slice(rules);
        RecycleProfile {
            name: "P".to_owned(),
            bill_on_fridays,
            currency: Currency::Usd,
            reduction_type: ReductionType::Percent,
            minimum_price: usd(minimum),
            apply_to: vec![MidId(1)],
            attempts,
            blocks: [BlockMerchant::Original; 4],
        }
    }

    /// Attempts 1-3 active, 10 % off each, 2 days apart; never below 40.00.
    fn three_every_two_days(bill_on_fridays: bool) -> RecycleProfile {
        let rule = AttemptRule {
            skip: false,
            reduction: percent(1000),
            wait_days: 2,
        };
        profile(&[rule; 3], bill_on_fridays, 4000)
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn next_friday_keeps_a_friday() {
        let fri = date(2026, 11, 20);
        assert_eq!(next_friday(fri), fri);
        assert_eq!(
            next_friday(fri + Duration::days(1)),
            fri + Duration::days(7)
        );
        assert_eq!(next_friday(fri - Duration::days(4)), fri);
    }

    #[test]
    fn r_rb_6_due_dates_are_the_waits_apart_and_prices_stop_at_the_minimum() {
        let monday = date(2026, 11, 16);
        let plan = schedule(&three_every_two_days(false), monday, usd(5000)).unwrap();
        assert_eq!(
            plan.iter().map(|p| p.due).collect::<Vec<_>>(),
            [date(2026, 11, 18), date(2026, 11, 20), date(2026, 11, 22)]
        );
        assert_eq!(
            plan.iter()
                .map(|p| p.amount.amount().get())
                .collect::<Vec<_>>(),
            [4500, 4050, 4000],
            "10 % off each, never below 40.00"
        );
        assert_eq!(plan.iter().map(|p| p.number).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(
            schedule(&three_every_two_days(false), monday, usd(3999))
                .unwrap()
                .is_empty(),
            "below the minimum price: not recycled"
        );
    }

    #[test]
    fn r_rb_6_bill_on_fridays_moves_each_due_date_to_the_next_friday() {
        let monday = date(2026, 11, 16);
        let plan = schedule(&three_every_two_days(true), monday, usd(5000)).unwrap();
        assert_eq!(
            plan.iter().map(|p| p.due).collect::<Vec<_>>(),
            [date(2026, 11, 20), date(2026, 11, 27), date(2026, 12, 4)],
            "each wait counts from the Friday before"
        );
    }

    #[test]
    fn a_flat_reduction_takes_minor_units_off_and_each_block_keeps_its_merchant() {
        let rule = AttemptRule {
            skip: false,
            reduction: Reduction::Flat(usd(750)),
            wait_days: 1,
        };
        let mut p = profile(&[rule; 5], false, 0);
        p.reduction_type = ReductionType::Flat;
        p.blocks[Block::Extended1.index()] = BlockMerchant::Mid(MidId(7));
        let plan = schedule(&p, date(2026, 11, 16), usd(2000)).unwrap();
        assert_eq!(
            plan.iter()
                .map(|p| p.amount.amount().get())
                .collect::<Vec<_>>(),
            [1250, 500, 0, 0, 0]
        );
        assert_eq!(
            plan.iter().map(|p| p.merchant).collect::<Vec<_>>(),
            [
                BlockMerchant::Original,
                BlockMerchant::Original,
                BlockMerchant::Original,
                BlockMerchant::Mid(MidId(7)),
                BlockMerchant::Mid(MidId(7)),
            ]
        );
    }

    #[test]
    fn a_draft_without_a_name_or_mids_has_a_schedule_once_its_timing_is_in_range() {
        let mut draft = RecycleDraft::blank();
        draft.attempt_mut(5).skip = true;
        draft.attempt_mut(5).wait_days = 400;
        let monday = date(2026, 11, 16);
        let plan = ScheduleInput::of_draft(&draft)
            .expect("a skipped row's wait does not matter")
            .schedule(monday, usd(5000))
            .unwrap();
        assert_eq!(plan.len(), ATTEMPTS - 1);
        assert_eq!(plan[0].due, date(2026, 11, 17), "the first wait is 1 day");

        draft.attempt_mut(2).wait_days = 91;
        assert!(
            ScheduleInput::of_draft(&draft).is_none(),
            "a wait past 90 days"
        );
        draft.attempt_mut(2).wait_days = 3;
        draft.attempt_mut(2).reduction = Reduction::Flat(usd(100));
        assert!(
            ScheduleInput::of_draft(&draft).is_none(),
            "a flat reduction in a percent profile"
        );
    }

    prop_compose! {
        /// Any profile: attempt 1 active, the rest active or skipped, any waits, reductions and
        /// minimum price.
        fn arbitrary_profile()(
            rules in proptest::collection::vec((any::<bool>(), 0u32..=10_000, 0i64..=90), ATTEMPTS),
            fridays in any::<bool>(),
            flat in any::<bool>(),
            minimum in 0i64..10_000,
        ) -> RecycleProfile {
            let rules: Vec<AttemptRule> = rules
                .into_iter()
                .enumerate()
                .map(|(i, (skip, reduction, wait_days))| AttemptRule {
                    skip: skip && i != 0,
                    reduction: if flat { Reduction::Flat(usd(i64::from(reduction))) } else { percent(reduction) },
                    wait_days,
                })
                .collect();
            let mut p = profile(&rules, fridays, minimum);
            if flat {
                p.reduction_type = ReductionType::Flat;
            }
            p
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// R-RB-6, checked without `next_friday`: with Bill on Fridays each due date is the first
        /// Friday on or after the unshifted date (a Friday, not before it, less than a week
        /// after it); without, it is exactly the wait after the previous attempt.
        #[test]
        fn schedules_land_on_fridays_or_exactly_the_waits_apart(
            p in arbitrary_profile(),
            start in 0i64..3650,
            amount in 1i64..1_000_000,
        ) {
            let declined = date(2020, 1, 1) + Duration::days(start);
            let plan = schedule(&p, declined, usd(amount)).unwrap();
            if amount < p.minimum_price.amount().get() {
                prop_assert!(plan.is_empty());
                return Ok(());
            }
            prop_assert_eq!(plan.iter().map(|a| a.number).collect::<Vec<_>>(), p.active_attempts());
            let mut previous = declined;
            let mut price = amount;
            for a in &plan {
                let unshifted = previous + Duration::days(p.attempt(a.number).wait_days);
                if p.bill_on_fridays {
                    prop_assert_eq!(a.due.weekday(), Weekday::Fri);
                    prop_assert!(a.due >= unshifted);
                    prop_assert!(a.due - unshifted < Duration::days(7));
                } else {
                    prop_assert_eq!(a.due, unshifted);
                }
                prop_assert!(a.amount.amount().get() <= price, "prices never rise");
                prop_assert!(a.amount.amount().get() >= p.minimum_price.amount().get());
                prop_assert_eq!(a.merchant, p.merchant_of(a.number));
                previous = a.due;
                price = a.amount.amount().get();
            }
        }
    }
}
