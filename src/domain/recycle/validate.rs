//! The validator behind every save and every live check (R-RB-1 ... R-RB-5).

use super::{
    ATTEMPTS, AttemptRule, Block, BlockMerchant, NAME_MAX, RecycleForm, RecycleProfile, Reduction,
    ReductionType, WAIT_MAX_DAYS,
};
use crate::domain::FieldErrors;
use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::money::{BasisPoints, Currency, Money};
use crate::domain::provider::Provider;

/// What the validator needs to know about one MID.
#[derive(Debug, Clone)]
pub struct MidFacts {
    pub id: MidId,
    pub title: String,
    pub provider: Provider,
    /// The other profile whose Apply to Merchants holds this MID, if any (R-RB-1).
    pub held_by: Option<(RecycleProfileId, String)>,
}

/// Parses a percent like "12.5" into basis points, or a flat amount in the profile's currency.
fn parse_reduction(
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
    let currency = match form.currency.trim() {
        "" => Currency::default(),
        code => Currency::from_code(code).unwrap_or_else(|| {
            errors.push("currency", "Pick a currency from the list.");
            Currency::default()
        }),
    };
    let minimum_price = match form.minimum_price.trim() {
        "" => Some(Money::zero(currency)),
        raw => errors.take("minimum_price", Money::parse(raw, currency)),
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
    let no_reduction = Reduction::none(reduction_type.unwrap_or(ReductionType::Percent), currency);
    let mut attempts = [AttemptRule {
        skip: true,
        reduction: no_reduction,
        wait_days: 0,
    }; ATTEMPTS];
    for n in 1..=ATTEMPTS {
        let skip = form.skip(n);
        let reduction = match reduction_type {
            Some(kind) if !skip => match parse_reduction(kind, form.reduction(n), currency) {
                Ok(r) => r,
                Err(message) => {
                    errors.push(REDUCTION_FIELDS[n - 1], message);
                    no_reduction
                }
            },
            _ => no_reduction,
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
                if !a.reduction.is_zero() {
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
            currency,
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
    use proptest::prelude::*;

    use super::*;

    const STORE_A: MidId = MidId(1);
    const STORE_B: MidId = MidId(2);
    const FLEXPAY: MidId = MidId(3);
    const FLEXFACTOR: MidId = MidId(4);
    /// Already in the profile "Main" (R-RB-1).
    const HELD: MidId = MidId(5);

    fn fact(id: MidId, title: &str, provider: Provider) -> MidFacts {
        MidFacts {
            id,
            title: title.to_owned(),
            provider,
            held_by: None,
        }
    }

    /// The MIDs that exist in these tests.
    fn facts() -> Vec<MidFacts> {
        vec![
            fact(STORE_A, "Store A", Provider::Test),
            fact(STORE_B, "Store B", Provider::Test),
            fact(FLEXPAY, "FlexPay MID", Provider::FlexPay),
            fact(FLEXFACTOR, "FF", Provider::FlexFactor),
            MidFacts {
                held_by: Some((RecycleProfileId(99), "Main".to_owned())),
                ..fact(HELD, "Held store", Provider::Test)
            },
        ]
    }

    /// A valid plain profile on `mids`: all attempts active, no reduction, waits 1, 3, 5, ... days.
    fn plain(mids: &[MidId]) -> RecycleForm {
        let mut form = RecycleForm::blank();
        form.name = "P".to_owned();
        form.mids = mids.iter().map(|m| m.to_string()).collect();
        form
    }

    /// The FlexPay recommended setup on Store A, block 4-6 on the FlexPay MID.
    fn flexpay_form() -> RecycleForm {
        let mut form = plain(&[STORE_A]);
        form.apply_flexpay_setup(FLEXPAY);
        form
    }

    fn errors(form: &RecycleForm) -> FieldErrors {
        validate(form, &facts()).expect_err("the form should be refused")
    }

    /// The message against `field`; fails the test when the field has none.
    fn message(form: &RecycleForm, field: &str) -> String {
        let errors = errors(form);
        errors
            .get(field)
            .unwrap_or_else(|| panic!("no error on {field}: {errors}"))
            .to_owned()
    }

    #[test]
    fn percent_reductions_parse_to_basis_points() {
        let parse = |kind, raw| parse_reduction(kind, raw, Currency::Usd).map(Reduction::stored);
        assert_eq!(parse(ReductionType::Percent, "12.5"), Ok(1250));
        assert_eq!(parse(ReductionType::Percent, "100"), Ok(10_000));
        for bad in ["-1", "101", "12.5.5", "ten", "1.234"] {
            assert!(parse(ReductionType::Percent, bad).is_err(), "{bad}");
        }
        assert_eq!(parse(ReductionType::Flat, "5.25"), Ok(525));
        assert_eq!(
            parse_reduction(ReductionType::Flat, "500", Currency::Jpy).map(Reduction::stored),
            Ok(500),
            "a flat reduction is in the profile's currency"
        );
    }

    #[test]
    fn r_rb_1_a_mid_held_by_another_profile_is_refused_naming_both() {
        let conflict = message(&plain(&[HELD, STORE_A]), "mids");
        assert!(
            conflict.contains("Held store") && conflict.contains("Main"),
            "{conflict}"
        );
        assert!(!conflict.contains("Store A"), "only the held MID is named");
    }

    #[test]
    fn r_rb_2_salvage_only_mids_only_take_later_blocks() {
        let applied = message(&plain(&[STORE_A, FLEXFACTOR]), "mids");
        assert!(applied.contains("FF"), "the MID is named: {applied}");

        let mut basic = plain(&[STORE_A]);
        basic.set_merchant(Block::Basic, FLEXFACTOR.to_string());
        message(&basic, Block::Basic.field());

        for block in [Block::Extended1, Block::Extended2, Block::Final] {
            let mut form = plain(&[STORE_A]);
            form.set_merchant(block, FLEXFACTOR.to_string());
            let profile = validate(&form, &facts()).expect("a later block may be salvage-only");
            assert_eq!(
                profile.blocks[block.index()],
                BlockMerchant::Mid(FLEXFACTOR)
            );
        }
    }

    #[test]
    fn r_rb_3_flexpay_profiles_do_not_bill_on_fridays() {
        let mut form = flexpay_form();
        form.bill_on_fridays = Some("on".into());
        assert_eq!(
            errors(&form).iter().map(|e| e.field).collect::<Vec<_>>(),
            ["bill_on_fridays"]
        );
        form.bill_on_fridays = None;
        validate(&form, &facts()).expect("FlexPay without Bill on Fridays");

        let mut fridays = plain(&[STORE_A]);
        fridays.bill_on_fridays = Some("on".into());
        assert!(
            validate(&fridays, &facts()).is_ok_and(|p| p.bill_on_fridays),
            "without FlexPay, Bill on Fridays is allowed"
        );
    }

    #[test]
    fn r_rb_4_flexpay_takes_exactly_one_attempt_with_no_reduction_and_one_day() {
        let mut second = flexpay_form();
        second.set_attempt(5, false, "0", "1");
        message(&second, "skip_5");

        let mut reduced = flexpay_form();
        reduced.set_attempt(4, false, "10", "1");
        message(&reduced, "reduction_4");

        let mut waits = flexpay_form();
        waits.set_attempt(4, false, "0", "2");
        message(&waits, "wait_4");

        let mut skipped = flexpay_form();
        skipped.set_attempt(4, true, "0", "1");
        skipped.set_attempt(5, false, "0", "1");
        message(&skipped, "skip_4");

        let mut two_blocks = flexpay_form();
        two_blocks.set_merchant(Block::Extended2, FLEXPAY.to_string());
        message(&two_blocks, Block::Extended2.field());

        let profile = validate(&flexpay_form(), &facts()).expect("the recommended setup is valid");
        assert_eq!(profile.active_attempts(), [4]);
        assert_eq!(
            *profile.attempt(4),
            AttemptRule {
                skip: false,
                reduction: Reduction::none(ReductionType::Percent, Currency::Usd),
                wait_days: 1
            }
        );
        assert_eq!(
            profile.blocks[Block::Extended1.index()],
            BlockMerchant::Mid(FLEXPAY)
        );
    }

    #[test]
    fn r_rb_5_reductions_waits_attempts_and_mids_are_checked() {
        let reduction = |raw: &str| {
            let mut form = plain(&[STORE_A]);
            form.set_attempt(2, false, raw, "3");
            message(&form, "reduction_2")
        };
        let malformed = reduction("ten");
        for raw in ["-1", "12.5.5"] {
            assert_eq!(reduction(raw), malformed, "{raw} is not a percent");
        }
        assert_ne!(reduction("101"), malformed, "above 100 says so");

        let wait = |raw: &str| {
            let mut form = plain(&[STORE_A]);
            form.set_attempt(3, false, "0", raw);
            message(&form, "wait_3")
        };
        let out_of_range = wait("91");
        assert_eq!(wait("-1"), out_of_range);
        assert_eq!(wait("2.5"), wait("soon"), "not a whole number");
        assert_ne!(wait("2.5"), out_of_range);

        let mut flat = plain(&[STORE_A]);
        flat.reduction_type = "flat".into();
        flat.set_attempt(1, false, "abc", "1");
        message(&flat, "reduction_1");

        let mut all_skipped = plain(&[STORE_A]);
        for n in 1..=ATTEMPTS {
            all_skipped.set_attempt(n, true, "0", "1");
        }
        message(&all_skipped, "attempts");

        let none = message(&plain(&[]), "mids");
        let mut unknown = plain(&[STORE_A]);
        unknown.mids.push("99999".into());
        assert_ne!(
            message(&unknown, "mids"),
            none,
            "a made-up id is not reported as no MID"
        );

        let mut several = plain(&[]);
        several.name = String::new();
        several.set_attempt(1, false, "101", "91");
        let e = errors(&several);
        for field in ["name", "mids", "reduction_1", "wait_1"] {
            assert!(e.get(field).is_some(), "{field} reported at once");
        }
    }

    #[test]
    fn skipped_attempts_are_not_checked() {
        let mut form = plain(&[STORE_A]);
        form.set_attempt(2, true, "ten", "soon");
        let profile = validate(&form, &facts()).expect("a skipped row may hold anything");
        assert!(profile.attempt(2).skip);
    }

    // Property: whatever the validator accepts satisfies every rule of SPEC 4.2.

    const PROVIDERS: [Provider; 4] = [
        Provider::Test,
        Provider::FlexPay,
        Provider::FlexFactor,
        Provider::FlexEcom,
    ];

    /// MIDs 1 to 8 of every provider; MID 8 is already in another profile.
    fn mixed_facts() -> Vec<MidFacts> {
        (1..=8)
            .map(|i| MidFacts {
                id: MidId(i),
                title: format!("MID {i}"),
                provider: PROVIDERS[(i as usize) % 4],
                held_by: (i == 8).then(|| (RecycleProfileId(99), "Other".to_owned())),
            })
            .collect()
    }

    prop_compose! {
        /// Any form: ids 1 to 9 (9 does not exist), in-range and out-of-range values.
        fn arbitrary_form()(
            mids in proptest::collection::vec(1i64..=9, 0..4),
            merchants in proptest::collection::vec(proptest::option::of(1i64..=9), 4),
            attempts in proptest::collection::vec(
                (
                    any::<bool>(),
                    prop_oneof!["0", "1", "5", "12.5", "100", "101", "-1", "x"],
                    prop_oneof!["0", "1", "2", "7", "90", "91", "-1", "2.5"],
                ),
                ATTEMPTS,
            ),
            fridays in any::<bool>(),
            flat in any::<bool>(),
        ) -> RecycleForm {
            let mut form = RecycleForm::blank();
            form.name = "P".into();
            form.bill_on_fridays = fridays.then(|| "on".into());
            form.reduction_type = if flat { "flat".into() } else { "percent".into() };
            form.mids = mids.iter().map(|m| m.to_string()).collect();
            for (block, m) in Block::ALL.into_iter().zip(merchants) {
                form.set_merchant(block, m.map_or_else(|| "original".to_owned(), |m| m.to_string()));
            }
            for (i, (skip, r, w)) in attempts.into_iter().enumerate() {
                form.set_attempt(i + 1, skip, &r, &w);
            }
            form
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn any_profile_the_validator_accepts_satisfies_every_rule(form in arbitrary_form()) {
            let facts = mixed_facts();
            if let Ok(p) = validate(&form, &facts) {
                let provider = |id: MidId| facts.iter().find(|f| f.id == id).map(|f| f.provider);
                prop_assert!(!p.apply_to.is_empty());
                for m in &p.apply_to {
                    let fact = facts.iter().find(|f| f.id == *m).unwrap();
                    prop_assert!(!fact.provider.is_salvage_only() && fact.held_by.is_none());
                }
                if let BlockMerchant::Mid(m) = p.blocks[Block::Basic.index()] {
                    prop_assert!(!provider(m).unwrap().is_salvage_only());
                }
                prop_assert!(p.attempts.iter().any(|a| !a.skip));
                for a in p.attempts.iter().filter(|a| !a.skip) {
                    prop_assert!((0..=WAIT_MAX_DAYS).contains(&a.wait_days));
                    prop_assert_eq!(a.reduction.kind(), p.reduction_type);
                    if p.reduction_type == ReductionType::Percent {
                        prop_assert!((0..=10_000).contains(&a.reduction.stored()));
                    }
                    prop_assert!(a.reduction.stored() >= 0);
                }
                let flexpay: Vec<Block> = Block::ALL
                    .into_iter()
                    .filter(|b| matches!(p.blocks[b.index()], BlockMerchant::Mid(m) if provider(m) == Some(Provider::FlexPay)))
                    .collect();
                if let Some(block) = flexpay.first() {
                    prop_assert_eq!(flexpay.len(), 1);
                    prop_assert!(!p.bill_on_fridays);
                    prop_assert_eq!(p.active_attempts(), vec![block.first_attempt()]);
                    let only = p.attempt(block.first_attempt());
                    prop_assert_eq!((only.reduction.is_zero(), only.wait_days), (true, 1));
                }
            }
        }
    }
}
