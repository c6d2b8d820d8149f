//! Recycle billing (decline salvage) profiles: the rules of SPEC 4.2 (R-RB-1 ... R-RB-6) as pure
//! functions. The service gathers what they need from the database (which MIDs exist, which
//! profile holds which MID) and calls [`validate`] and [`schedule`].

mod draft;
mod schedule;
mod validate;

pub use draft::{FLEXPAY_BLOCK, FLEXPAY_WAIT_DAYS, RecycleDraft, read_reduction, read_wait};
pub use schedule::{PlannedAttempt, ScheduleInput, flat_reduction_exceeds, next_friday, schedule};
pub use validate::{
    MERCHANT_UNKNOWN, MID_GONE, MidFacts, REDUCTION_FIELDS, SKIP_FIELDS, WAIT_FIELDS, validate,
};

use super::ids::{MidId, RecycleProfileId};
use super::money::{BasisPoints, Currency, MinorUnits, Money};

/// Nine re-attempts plus the final attempt.
pub const ATTEMPTS: usize = 10;
/// The final attempt's number.
pub const FINAL: usize = 10;
pub const WAIT_MAX_DAYS: i64 = 90;

/// The four blocks of attempts that each pick a merchant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Block {
    /// Re-attempts 1-3, the basic salvage rules.
    Basic,
    /// Re-attempts 4-6.
    Extended1,
    /// Re-attempts 7-9.
    Extended2,
    Final,
}

impl Block {
    pub const ALL: [Block; 4] = [
        Block::Basic,
        Block::Extended1,
        Block::Extended2,
        Block::Final,
    ];

    pub fn of_attempt(number: usize) -> Block {
        match number {
            1..=3 => Block::Basic,
            4..=6 => Block::Extended1,
            7..=9 => Block::Extended2,
            _ => Block::Final,
        }
    }

    pub fn index(self) -> usize {
        match self {
            Block::Basic => 0,
            Block::Extended1 => 1,
            Block::Extended2 => 2,
            Block::Final => 3,
        }
    }

    pub fn first_attempt(self) -> usize {
        match self {
            Block::Basic => 1,
            Block::Extended1 => 4,
            Block::Extended2 => 7,
            Block::Final => FINAL,
        }
    }

    pub fn attempts(self) -> std::ops::RangeInclusive<usize> {
        match self {
            Block::Basic => 1..=3,
            Block::Extended1 => 4..=6,
            Block::Extended2 => 7..=9,
            Block::Final => FINAL..=FINAL,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Block::Basic => "Re-Attempts 1 – 3",
            Block::Extended1 => "Re-Attempts 4 – 6",
            Block::Extended2 => "Re-Attempts 7 – 9",
            Block::Final => "Final Attempt",
        }
    }

    /// The form field of this block's merchant choice.
    pub fn field(self) -> &'static str {
        ["merchant_1", "merchant_2", "merchant_3", "merchant_4"][self.index()]
    }
}

/// Who a block's attempts run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockMerchant {
    /// The MID the payment declined on.
    Original,
    Mid(MidId),
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum ReductionType {
    /// Hundredths of a percent of the previous attempt's price (1250 = 12.5 %).
    #[strum(serialize = "percent")]
    Percent,
    /// Minor units off the previous attempt's price.
    #[strum(serialize = "flat")]
    Flat,
}

impl ReductionType {
    pub fn key(self) -> &'static str {
        self.into()
    }

    /// Every variant, in declaration order.
    pub fn all() -> impl Iterator<Item = Self> {
        <Self as strum::IntoEnumIterator>::iter()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }
}

/// How much cheaper an attempt is than the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    /// A share of the previous attempt's price.
    Percent(BasisPoints),
    /// A fixed amount off the previous attempt's price, in the profile's currency.
    Flat(Money),
}

impl Reduction {
    /// No reduction, of the profile's kind.
    pub fn none(kind: ReductionType, currency: Currency) -> Self {
        match kind {
            ReductionType::Percent => Reduction::Percent(BasisPoints::default()),
            ReductionType::Flat => Reduction::Flat(Money::zero(currency)),
        }
    }

    pub fn kind(self) -> ReductionType {
        match self {
            Reduction::Percent(_) => ReductionType::Percent,
            Reduction::Flat(_) => ReductionType::Flat,
        }
    }

    pub fn is_zero(self) -> bool {
        match self {
            Reduction::Percent(points) => points.get() == 0,
            Reduction::Flat(amount) => amount.amount().get() == 0,
        }
    }

    /// How much this takes off `price` (a percentage rounded half up; never more than `price`).
    pub fn off(self, price: Money) -> Money {
        let off = match self {
            Reduction::Percent(points) => points.of(price),
            Reduction::Flat(amount) => amount,
        };
        if off.amount() > price.amount() {
            price
        } else {
            off
        }
    }

    /// As stored: basis points or minor units.
    pub fn stored(self) -> i64 {
        match self {
            Reduction::Percent(points) => i64::from(points.get()),
            Reduction::Flat(amount) => amount.amount().get(),
        }
    }

    /// A stored value, if it is one this kind allows.
    pub fn from_stored(kind: ReductionType, value: i64, currency: Currency) -> Option<Self> {
        match kind {
            ReductionType::Percent => u32::try_from(value)
                .ok()
                .and_then(BasisPoints::new)
                .map(Reduction::Percent),
            ReductionType::Flat => (value >= 0)
                .then(|| Reduction::Flat(Money::new(MinorUnits::from_minor(value), currency))),
        }
    }

    /// As the editor's field shows it: "12.5" (percent) or "5.00" (flat).
    pub fn to_input(self) -> String {
        match self {
            Reduction::Percent(points) => points.to_string(),
            Reduction::Flat(amount) => amount.to_input(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptRule {
    pub skip: bool,
    pub reduction: Reduction,
    pub wait_days: i64,
}

/// A saved profile.
#[derive(Debug, Clone)]
pub struct StoredProfile {
    pub id: RecycleProfileId,
    pub profile: RecycleProfile,
}

/// A MID in a profile's Apply to Merchants (R-RB-1: at most one per MID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub mid: MidId,
    pub profile: RecycleProfileId,
    pub profile_name: String,
}

/// A profile that satisfies every rule of SPEC 4.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecycleProfile {
    pub name: String,
    pub bill_on_fridays: bool,
    /// The currency of the minimum price and of flat reductions.
    pub currency: Currency,
    pub reduction_type: ReductionType,
    pub minimum_price: Money,
    pub apply_to: Vec<MidId>,
    /// Attempts 1..=10 at index 0..=9.
    pub attempts: [AttemptRule; ATTEMPTS],
    pub blocks: [BlockMerchant; 4],
}

impl RecycleProfile {
    pub fn attempt(&self, number: usize) -> &AttemptRule {
        &self.attempts[number - 1]
    }

    pub fn merchant_of(&self, number: usize) -> BlockMerchant {
        self.blocks[Block::of_attempt(number).index()]
    }

    pub fn active_attempts(&self) -> Vec<usize> {
        (1..=ATTEMPTS).filter(|n| !self.attempt(*n).skip).collect()
    }
}
