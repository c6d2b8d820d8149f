//! A profile as submitted, every value read but no rule checked, and the readers that turn typed
//! text into its values.

use super::{
    ATTEMPTS, AttemptRule, Block, BlockMerchant, RecycleProfile, Reduction, ReductionType,
};
use crate::domain::ids::MidId;
use crate::domain::money::{BasisPoints, Currency, Money};

/// What [`super::validate`] checks against SPEC 4.2. The editor's form and, later, the API build
/// one; the service checks it with the MIDs that exist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecycleDraft {
    pub name: String,
    pub bill_on_fridays: bool,
    pub currency: Currency,
    pub reduction_type: ReductionType,
    pub minimum_price: Money,
    /// As chosen: may name MIDs that do not exist, twice, or none at all.
    pub apply_to: Vec<MidId>,
    /// Attempts 1..=10 at index 0..=9; a skipped row keeps its values.
    pub attempts: [AttemptRule; ATTEMPTS],
    pub blocks: [BlockMerchant; 4],
}

/// The one active attempt of the FlexPay recommended setup: no reduction, one day (R-RB-4).
pub const FLEXPAY_WAIT_DAYS: i64 = 1;
/// The block the FlexPay recommended setup sends to FlexPay (seed 000).
pub const FLEXPAY_BLOCK: Block = Block::Extended1;

impl RecycleDraft {
    /// A blank editor: everything active, no reduction, waits of 1, 3, 5, ... days, in USD.
    pub fn blank() -> Self {
        let currency = Currency::default();
        let mut attempts = [AttemptRule {
            skip: false,
            reduction: Reduction::none(ReductionType::Percent, currency),
            wait_days: 0,
        }; ATTEMPTS];
        for (wait, attempt) in (1..).step_by(2).zip(attempts.iter_mut()) {
            attempt.wait_days = wait;
        }
        Self {
            name: String::new(),
            bill_on_fridays: false,
            currency,
            reduction_type: ReductionType::Percent,
            minimum_price: Money::zero(currency),
            apply_to: Vec::new(),
            attempts,
            blocks: [BlockMerchant::Original; 4],
        }
    }

    pub fn attempt_mut(&mut self, number: usize) -> &mut AttemptRule {
        &mut self.attempts[number - 1]
    }

    /// Seed 000's layout: only the first attempt of [`FLEXPAY_BLOCK`] stays active, with no
    /// reduction and a one-day wait, on `flexpay`; Bill on Fridays off (R-RB-3, R-RB-4). Skipped
    /// rows keep their values.
    pub fn apply_flexpay_setup(&mut self, flexpay: MidId) {
        self.bill_on_fridays = false;
        let chosen = FLEXPAY_BLOCK.first_attempt();
        let none = Reduction::none(self.reduction_type, self.currency);
        for (n, attempt) in (1..).zip(self.attempts.iter_mut()) {
            attempt.skip = n != chosen;
            if n == chosen {
                attempt.reduction = none;
                attempt.wait_days = FLEXPAY_WAIT_DAYS;
            }
        }
        self.blocks[FLEXPAY_BLOCK.index()] = BlockMerchant::Mid(flexpay);
    }
}

impl From<&RecycleProfile> for RecycleDraft {
    /// A saved profile, to edit or duplicate.
    fn from(p: &RecycleProfile) -> Self {
        Self {
            name: p.name.clone(),
            bill_on_fridays: p.bill_on_fridays,
            currency: p.currency,
            reduction_type: p.reduction_type,
            minimum_price: p.minimum_price,
            apply_to: p.apply_to.clone(),
            attempts: p.attempts,
            blocks: p.blocks,
        }
    }
}

/// Reads a percent like "12.5" into basis points, or a flat amount in the profile's currency;
/// blank is no reduction.
pub fn read_reduction(
    kind: ReductionType,
    raw: &str,
    currency: Currency,
) -> Result<Reduction, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw == "0" {
        return Ok(Reduction::none(kind, currency));
    }
    match kind {
        ReductionType::Percent => BasisPoints::parse_percent(raw)
            .map(Reduction::Percent)
            .map_err(|e| e.to_string()),
        ReductionType::Flat => Money::parse(raw, currency)
            .map(Reduction::Flat)
            .map_err(|e| format!("Enter an amount like 5 or 5.00. {e}")),
    }
}

/// Reads a wait as a whole number of days; [`super::validate`] checks its range.
pub fn read_wait(raw: &str) -> Result<i64, String> {
    raw.trim().parse::<i64>().map_err(|_| {
        format!(
            "Enter a whole number of days, 0 to {}.",
            super::WAIT_MAX_DAYS
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_reductions_read_as_basis_points() {
        let read = |kind, raw| read_reduction(kind, raw, Currency::Usd).map(Reduction::stored);
        assert_eq!(read(ReductionType::Percent, "12.5"), Ok(1250));
        assert_eq!(read(ReductionType::Percent, "100"), Ok(10_000));
        for bad in ["-1", "101", "12.5.5", "ten", "1.234"] {
            assert!(read(ReductionType::Percent, bad).is_err(), "{bad}");
        }
        assert_eq!(read(ReductionType::Flat, "5.25"), Ok(525));
        assert_eq!(
            read_reduction(ReductionType::Flat, "500", Currency::Jpy).map(Reduction::stored),
            Ok(500),
            "a flat reduction is in the profile's currency"
        );
    }

    #[test]
    fn waits_read_as_whole_days() {
        assert_eq!(read_wait(" 7 "), Ok(7));
        assert_eq!(
            read_wait("-1"),
            Ok(-1),
            "the range is a rule, not a reading"
        );
        assert!(read_wait("2.5").is_err() && read_wait("soon").is_err());
    }

    #[test]
    fn the_flexpay_setup_keeps_skipped_rows_values() {
        let mut draft = RecycleDraft::blank();
        draft.apply_flexpay_setup(MidId(7));
        assert_eq!(draft.attempts.iter().filter(|a| !a.skip).count(), 1);
        assert_eq!(
            (draft.attempts[3].skip, draft.attempts[3].wait_days),
            (false, 1)
        );
        assert_eq!(
            draft.attempts[4].wait_days, 9,
            "a skipped row keeps its wait"
        );
        assert_eq!(draft.blocks[1], BlockMerchant::Mid(MidId(7)));
    }
}
