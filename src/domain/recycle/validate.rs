//! The validator behind every save and every live check (R-RB-1 ... R-RB-5).

use super::{
    ATTEMPTS, AttemptRule, Block, BlockMerchant, NAME_MAX, RecycleForm, RecycleProfile,
    ReductionType, WAIT_MAX_DAYS,
};
use crate::domain::FieldErrors;
use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::mid::Provider;
use crate::domain::money::{MinorUnits, MoneyError};

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

#[cfg(test)]
mod tests {
    use super::*;

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
