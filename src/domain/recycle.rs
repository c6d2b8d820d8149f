//! Recycle billing (decline salvage) profiles: the rules of SPEC 4.2 (R-RB-1 ... R-RB-6) as pure
//! functions. The service gathers what they need from the database (which MIDs exist, which
//! profile holds which MID) and calls [`validate`] and [`schedule`].

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, Weekday};

use super::FieldErrors;
use super::ids::{MidId, RecycleProfileId};
use super::mid::Provider;
use super::money::{MinorUnits, MoneyError};

/// Nine re-attempts plus the final attempt.
pub const ATTEMPTS: usize = 10;
/// The final attempt's number.
pub const FINAL: usize = 10;
pub const WAIT_MAX_DAYS: i64 = 90;
pub const NAME_MAX: usize = 100;

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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReductionType {
    /// Hundredths of a percent of the previous attempt's price (1250 = 12.5 %).
    Percent,
    /// Minor units off the previous attempt's price.
    Flat,
}

impl ReductionType {
    pub fn key(self) -> &'static str {
        match self {
            ReductionType::Percent => "percent",
            ReductionType::Flat => "flat",
        }
    }

    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "percent" => Some(ReductionType::Percent),
            "flat" => Some(ReductionType::Flat),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptRule {
    pub skip: bool,
    /// Basis points (percent) or minor units (flat), by the profile's reduction type.
    pub reduction: i64,
    pub wait_days: i64,
}

/// A profile that satisfies every rule of SPEC 4.2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecycleProfile {
    pub name: String,
    pub bill_on_fridays: bool,
    pub reduction_type: ReductionType,
    pub minimum_price: MinorUnits,
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

/// The editor as typed: every value a string, checkboxes present when ticked, `mids` repeated.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RecycleForm {
    pub name: String,
    pub bill_on_fridays: Option<String>,
    pub reduction_type: String,
    pub minimum_price: String,
    pub mids: Vec<String>,
    pub merchant_1: String,
    pub merchant_2: String,
    pub merchant_3: String,
    pub merchant_4: String,
    /// `skip_N`, `reduction_N`, `wait_N` for N in 1..=10, plus preview and preset inputs.
    #[serde(flatten)]
    pub rest: BTreeMap<String, String>,
}

impl RecycleForm {
    pub fn skip(&self, n: usize) -> bool {
        self.rest.contains_key(&format!("skip_{n}"))
    }

    pub fn reduction(&self, n: usize) -> &str {
        self.rest
            .get(&format!("reduction_{n}"))
            .map_or("", String::as_str)
    }

    pub fn wait(&self, n: usize) -> &str {
        self.rest
            .get(&format!("wait_{n}"))
            .map_or("", String::as_str)
    }

    pub fn merchant(&self, block: Block) -> &str {
        match block {
            Block::Basic => &self.merchant_1,
            Block::Extended1 => &self.merchant_2,
            Block::Extended2 => &self.merchant_3,
            Block::Final => &self.merchant_4,
        }
    }

    pub fn set_merchant(&mut self, block: Block, value: String) {
        match block {
            Block::Basic => self.merchant_1 = value,
            Block::Extended1 => self.merchant_2 = value,
            Block::Extended2 => self.merchant_3 = value,
            Block::Final => self.merchant_4 = value,
        }
    }

    pub fn set_attempt(&mut self, n: usize, skip: bool, reduction: &str, wait: &str) {
        if skip {
            self.rest.insert(format!("skip_{n}"), "on".to_owned());
        } else {
            self.rest.remove(&format!("skip_{n}"));
        }
        self.rest
            .insert(format!("reduction_{n}"), reduction.to_owned());
        self.rest.insert(format!("wait_{n}"), wait.to_owned());
    }

    pub fn has_mid(&self, mid: MidId) -> bool {
        let id = mid.to_string();
        self.mids.contains(&id)
    }

    /// A blank editor: everything active, no reduction, waits of 1, 3, 5, ... days.
    pub fn blank() -> Self {
        let mut form = Self {
            reduction_type: "percent".to_owned(),
            minimum_price: "0".to_owned(),
            ..Self::default()
        };
        for block in Block::ALL {
            form.set_merchant(block, "original".to_owned());
        }
        for n in 1..=ATTEMPTS {
            form.set_attempt(n, false, "0", &(2 * n - 1).to_string());
        }
        form
    }

    /// Seed 000's layout: attempts 1-3 and 5-10 skipped, attempt 4 active with no reduction and
    /// a 1-day wait, block 4-6 on `flexpay`, Bill on Fridays off (R-RB-3, R-RB-4).
    pub fn apply_flexpay_setup(&mut self, flexpay: MidId) {
        self.bill_on_fridays = None;
        for n in 1..=ATTEMPTS {
            let active = n == Block::Extended1.first_attempt();
            let (reduction, wait) = if active {
                ("0".to_owned(), "1".to_owned())
            } else {
                (self.reduction(n).to_owned(), self.wait(n).to_owned())
            };
            self.set_attempt(n, !active, &reduction, &wait);
        }
        self.set_merchant(Block::Extended1, flexpay.to_string());
    }
}

/// What the validator needs to know about one MID.
#[derive(Debug, Clone)]
pub struct MidFacts {
    pub id: MidId,
    pub title: String,
    pub provider: Provider,
    /// The other profile whose Apply to Merchants holds this MID, if any (R-RB-1).
    pub held_by: Option<(RecycleProfileId, String)>,
}

/// Parses a percent like "12.5" into basis points, or a flat amount into minor units.
fn parse_reduction(kind: ReductionType, raw: &str) -> Result<i64, String> {
    let raw = raw.trim();
    if raw.is_empty() || raw == "0" {
        return Ok(0);
    }
    match kind {
        ReductionType::Percent => {
            let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
            let digits_ok = !whole.is_empty()
                && whole.chars().all(|c| c.is_ascii_digit())
                && fraction.chars().all(|c| c.is_ascii_digit())
                && fraction.len() <= 2
                && whole.len() <= 3;
            if !digits_ok {
                return Err("Enter a percent from 0 to 100, like 10 or 12.5.".to_owned());
            }
            let bp = whole.parse::<i64>().unwrap_or(i64::MAX).saturating_mul(100)
                + format!("{fraction:0<2}").parse::<i64>().unwrap_or(0);
            if bp > 10_000 {
                return Err("A percent reduction is at most 100.".to_owned());
            }
            Ok(bp)
        }
        ReductionType::Flat => match MinorUnits::parse_positive(raw) {
            Ok(amount) => Ok(amount.get()),
            Err(MoneyError::NotPositive) => Ok(0),
            Err(e) => Err(format!("Enter an amount like 5 or 5.00. {e}")),
        },
    }
}

fn parse_wait(raw: &str) -> Result<i64, &'static str> {
    match raw.trim().parse::<i64>() {
        Ok(n) if (0..=WAIT_MAX_DAYS).contains(&n) => Ok(n),
        Ok(_) => Err("Wait from 0 to 90 days."),
        Err(_) => Err("Enter a whole number of days, 0 to 90."),
    }
}

/// Checks a draft against every rule of SPEC 4.2 at once (R-RB-1 ... R-RB-5), each error keyed
/// to the field that caused it. `mids` lists every MID that exists.
pub fn validate(form: &RecycleForm, mids: &[MidFacts]) -> Result<RecycleProfile, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = form.name.trim();
    if name.is_empty() {
        errors.push("name", "Enter a profile name.");
    } else if name.chars().count() > NAME_MAX {
        errors.push("name", format!("Use at most {NAME_MAX} characters."));
    }
    let reduction_type = ReductionType::from_key(form.reduction_type.trim());
    if reduction_type.is_none() {
        errors.push("reduction_type", "Pick percent or flat amount.");
    }
    let minimum_price = match form.minimum_price.trim() {
        "" | "0" => Some(MinorUnits::new(0)),
        raw => match MinorUnits::parse_positive(raw) {
            Ok(m) => Some(m),
            Err(MoneyError::NotPositive) => Some(MinorUnits::new(0)),
            Err(e) => {
                errors.push("minimum_price", e.to_string());
                None
            }
        },
    };

    // Apply to Merchants: R-RB-5 (at least one), R-RB-2 (no salvage-only), R-RB-1 (no overlap).
    let mut apply_to = Vec::new();
    let mut mid_messages = Vec::new();
    for raw in &form.mids {
        let fact = raw
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|id| mids.iter().find(|m| m.id == MidId(id)));
        match fact {
            None => mid_messages.push("A chosen MID does not exist; reload the page.".to_owned()),
            Some(m) if m.provider.is_salvage_only() => mid_messages.push(format!(
                "“{}” is a salvage-only {} MID: it takes declines, it cannot be one of the merchants a profile applies to.",
                m.title,
                m.provider.label()
            )),
            Some(m) => {
                if let Some((_, profile)) = &m.held_by {
                    mid_messages.push(format!("“{}” is already in the profile “{profile}”.", m.title));
                }
                if !apply_to.contains(&m.id) {
                    apply_to.push(m.id);
                }
            }
        }
    }
    if form.mids.is_empty() {
        mid_messages.push("Pick at least one MID to apply this profile to.".to_owned());
    }
    if !mid_messages.is_empty() {
        errors.push("mids", mid_messages.join(" "));
    }

    // Block merchants: R-RB-2 (no salvage-only MID for 1-3).
    let mut blocks = [BlockMerchant::Original; 4];
    let mut block_providers: [Option<Provider>; 4] = [None; 4];
    for block in Block::ALL {
        let raw = form.merchant(block).trim();
        if raw.is_empty() || raw == "original" {
            continue;
        }
        let fact = raw
            .parse::<i64>()
            .ok()
            .and_then(|id| mids.iter().find(|m| m.id == MidId(id)));
        match fact {
            None => errors.push(block.field(), "Pick the original MID or one from the list."),
            Some(m) if block == Block::Basic && m.provider.is_salvage_only() => errors.push(
                block.field(),
                format!("Salvage-only MIDs like “{}” can take re-attempts 4-6, 7-9 or the final attempt, never 1-3.", m.title),
            ),
            Some(m) => {
                blocks[block.index()] = BlockMerchant::Mid(m.id);
                block_providers[block.index()] = Some(m.provider);
            }
        }
    }

    // Attempts: R-RB-5 ranges; skipped rows keep whatever they hold but are not checked.
    let mut attempts = [AttemptRule {
        skip: true,
        reduction: 0,
        wait_days: 0,
    }; ATTEMPTS];
    for n in 1..=ATTEMPTS {
        let skip = form.skip(n);
        let reduction = match reduction_type {
            Some(kind) if !skip => match parse_reduction(kind, form.reduction(n)) {
                Ok(r) => r,
                Err(message) => {
                    errors.push(REDUCTION_FIELDS[n - 1], message);
                    0
                }
            },
            _ => 0,
        };
        let wait_days = if skip {
            0
        } else {
            errors
                .take(WAIT_FIELDS[n - 1], parse_wait(form.wait(n)))
                .unwrap_or(0)
        };
        attempts[n - 1] = AttemptRule {
            skip,
            reduction,
            wait_days,
        };
    }
    if attempts.iter().all(|a| a.skip) {
        errors.push(
            "attempts",
            "Leave at least one attempt active (Skip unchecked).",
        );
    }

    // FlexPay: R-RB-3 and R-RB-4.
    let flexpay_blocks: Vec<Block> = Block::ALL
        .into_iter()
        .filter(|b| block_providers[b.index()] == Some(Provider::FlexPay))
        .collect();
    let bill_on_fridays = form.bill_on_fridays.is_some();
    if let Some(first) = flexpay_blocks.first() {
        if bill_on_fridays {
            errors.push(
                "bill_on_fridays",
                "FlexPay cannot work with Bill on Fridays: turn it off.",
            );
        }
        for extra in &flexpay_blocks[1..] {
            errors.push(
                extra.field(),
                "Only one block may go to FlexPay: FlexPay takes a single attempt.",
            );
        }
        let chosen = first.first_attempt();
        for n in 1..=ATTEMPTS {
            let a = attempts[n - 1];
            if n == chosen {
                if a.skip {
                    errors.push(
                        SKIP_FIELDS[n - 1],
                        format!("FlexPay takes attempt {n}: leave it active."),
                    );
                    continue;
                }
                if a.reduction != 0 {
                    errors.push(
                        REDUCTION_FIELDS[n - 1],
                        "FlexPay's attempt has no price reduction: set 0.",
                    );
                }
                if a.wait_days != 1 {
                    errors.push(WAIT_FIELDS[n - 1], "FlexPay's attempt waits exactly 1 day.");
                }
            } else if !a.skip {
                errors.push(
                    SKIP_FIELDS[n - 1],
                    format!("With FlexPay, only attempt {chosen} stays active: skip this one."),
                );
            }
        }
    }

    match (reduction_type, minimum_price) {
        (Some(reduction_type), Some(minimum_price)) if errors.is_empty() => Ok(RecycleProfile {
            name: name.to_owned(),
            bill_on_fridays,
            reduction_type,
            minimum_price,
            apply_to,
            attempts,
            blocks,
        }),
        _ => Err(errors),
    }
}

pub const SKIP_FIELDS: [&str; ATTEMPTS] = [
    "skip_1", "skip_2", "skip_3", "skip_4", "skip_5", "skip_6", "skip_7", "skip_8", "skip_9",
    "skip_10",
];
pub const REDUCTION_FIELDS: [&str; ATTEMPTS] = [
    "reduction_1",
    "reduction_2",
    "reduction_3",
    "reduction_4",
    "reduction_5",
    "reduction_6",
    "reduction_7",
    "reduction_8",
    "reduction_9",
    "reduction_10",
];
pub const WAIT_FIELDS: [&str; ATTEMPTS] = [
    "wait_1", "wait_2", "wait_3", "wait_4", "wait_5", "wait_6", "wait_7", "wait_8", "wait_9",
    "wait_10",
];

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

    #[test]
    fn percent_reductions_parse_to_basis_points() {
        assert_eq!(parse_reduction(ReductionType::Percent, "12.5"), Ok(1250));
        assert_eq!(parse_reduction(ReductionType::Percent, "100"), Ok(10_000));
        for bad in ["-1", "101", "12.5.5", "ten", "1.234"] {
            assert!(
                parse_reduction(ReductionType::Percent, bad).is_err(),
                "{bad}"
            );
        }
        assert_eq!(parse_reduction(ReductionType::Flat, "5.25"), Ok(525));
    }
}
