//! The validator behind every save and every live check (R-RB-1 ... R-RB-5).

use super::draft::FLEXPAY_WAIT_DAYS;
use super::{
    ATTEMPTS, AttemptRule, Block, BlockMerchant, RecycleDraft, RecycleProfile, Reduction,
    ReductionType, WAIT_MAX_DAYS,
};
use crate::domain::FieldErrors;
use crate::domain::ids::{MidId, RecycleProfileId};
use crate::domain::name::{Name, Named};
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

/// Checks a draft against every rule of SPEC 4.2 at once (R-RB-1 ... R-RB-5), each error keyed
/// to the field that caused it. `mids` lists every MID that exists.
pub fn validate(draft: &RecycleDraft, mids: &[MidFacts]) -> Result<RecycleProfile, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = errors.take("name", Name::parse(&draft.name, Named::Profile));
    if draft.minimum_price.currency() != draft.currency || draft.minimum_price.amount().get() < 0 {
        errors.push(
            "minimum_price",
            format!("Enter an amount in {} of 0 or more.", draft.currency),
        );
    }
    let fact = |id: MidId| mids.iter().find(|m| m.id == id);

    // Apply to Merchants: R-RB-5 (at least one), R-RB-2 (no salvage-only), R-RB-1 (no overlap).
    let mut apply_to = Vec::new();
    let mut mid_messages = Vec::new();
    for id in &draft.apply_to {
        match fact(*id) {
            None => mid_messages.push(MID_GONE.to_owned()),
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
    if draft.apply_to.is_empty() {
        mid_messages.push("Pick at least one MID to apply this profile to.".to_owned());
    }
    mid_messages.dedup();
    if !mid_messages.is_empty() {
        errors.push("mids", mid_messages.join(" "));
    }

    // Block merchants: R-RB-2 (no salvage-only MID for 1-3).
    let mut block_providers: [Option<Provider>; 4] = [None; 4];
    for block in Block::ALL {
        let BlockMerchant::Mid(id) = draft.blocks[block.index()] else {
            continue;
        };
        match fact(id) {
            None => errors.push(block.field(), MERCHANT_UNKNOWN),
            Some(m) if block == Block::Basic && m.provider.is_salvage_only() => errors.push(
                block.field(),
                format!("Salvage-only MIDs like “{}” can take re-attempts 4-6, 7-9 or the final attempt, never 1-3.", m.title),
            ),
            Some(m) => block_providers[block.index()] = Some(m.provider),
        }
    }

    // A reduction of the profile's kind, a flat one in its currency and never negative.
    let fits = |r: Reduction| match r {
        Reduction::Percent(_) => draft.reduction_type == ReductionType::Percent,
        Reduction::Flat(m) => {
            draft.reduction_type == ReductionType::Flat
                && m.currency() == draft.currency
                && m.amount().get() >= 0
        }
    };

    // Attempts: R-RB-5 ranges; skipped rows keep whatever they hold but are not checked.
    for (n, a) in (1..).zip(&draft.attempts).filter(|(_, a)| !a.skip) {
        if !fits(a.reduction) {
            errors.push(
                REDUCTION_FIELDS[n - 1],
                format!(
                    "Enter a reduction of the profile's kind ({}).",
                    draft.reduction_type.key()
                ),
            );
        }
        if !(0..=WAIT_MAX_DAYS).contains(&a.wait_days) {
            errors.push(
                WAIT_FIELDS[n - 1],
                format!("Wait from 0 to {WAIT_MAX_DAYS} days."),
            );
        }
    }
    if draft.attempts.iter().all(|a| a.skip) {
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
    if let Some(first) = flexpay_blocks.first() {
        if draft.bill_on_fridays {
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
        for (n, a) in (1..).zip(&draft.attempts) {
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
                if a.wait_days != FLEXPAY_WAIT_DAYS {
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

    let (Some(name), true) = (name, errors.is_empty()) else {
        return Err(errors);
    };
    // A skipped row keeps what it held where that is storable; the engine never reads it.
    let none = Reduction::none(draft.reduction_type, draft.currency);
    let attempts = draft.attempts.map(|a| AttemptRule {
        reduction: if fits(a.reduction) { a.reduction } else { none },
        wait_days: a.wait_days.clamp(0, WAIT_MAX_DAYS),
        ..a
    });
    Ok(RecycleProfile {
        name: name.into_string(),
        bill_on_fridays: draft.bill_on_fridays,
        currency: draft.currency,
        reduction_type: draft.reduction_type,
        minimum_price: draft.minimum_price,
        apply_to,
        attempts,
        blocks: draft.blocks,
    })
}

/// A chosen MID that does not exist (deleted meanwhile, or a tampered form).
pub const MID_GONE: &str = "A chosen MID does not exist; reload the page.";
/// A block merchant that is neither the original MID nor one that exists.
pub const MERCHANT_UNKNOWN: &str = "Pick the original MID or one from the list.";

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
    use crate::domain::money::{BasisPoints, Currency, MinorUnits, Money};

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
    fn plain(mids: &[MidId]) -> RecycleDraft {
        RecycleDraft {
            name: "P".to_owned(),
            apply_to: mids.to_vec(),
            ..RecycleDraft::blank()
        }
    }

    /// The FlexPay recommended setup on Store A, block 4-6 on the FlexPay MID.
    fn flexpay_draft() -> RecycleDraft {
        let mut draft = plain(&[STORE_A]);
        draft.apply_flexpay_setup(FLEXPAY);
        draft
    }

    fn percent(points: u32) -> Reduction {
        Reduction::Percent(BasisPoints::new(points).expect("a percent"))
    }

    fn set(draft: &mut RecycleDraft, n: usize, skip: bool, reduction: Reduction, wait_days: i64) {
        *draft.attempt_mut(n) = AttemptRule {
            skip,
            reduction,
            wait_days,
        };
    }

    fn errors(draft: &RecycleDraft) -> FieldErrors {
        validate(draft, &facts()).expect_err("the draft should be refused")
    }

    /// The message against `field`; fails the test when the field has none.
    fn message(draft: &RecycleDraft, field: &str) -> String {
        let errors = errors(draft);
        errors
            .get(field)
            .unwrap_or_else(|| panic!("no error on {field}: {errors}"))
            .to_owned()
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
        basic.blocks[Block::Basic.index()] = BlockMerchant::Mid(FLEXFACTOR);
        message(&basic, Block::Basic.field());

        for block in [Block::Extended1, Block::Extended2, Block::Final] {
            let mut draft = plain(&[STORE_A]);
            draft.blocks[block.index()] = BlockMerchant::Mid(FLEXFACTOR);
            let profile = validate(&draft, &facts()).expect("a later block may be salvage-only");
            assert_eq!(
                profile.blocks[block.index()],
                BlockMerchant::Mid(FLEXFACTOR)
            );
        }
    }

    #[test]
    fn r_rb_3_flexpay_profiles_do_not_bill_on_fridays() {
        let mut draft = flexpay_draft();
        draft.bill_on_fridays = true;
        assert_eq!(
            errors(&draft).iter().map(|e| e.field).collect::<Vec<_>>(),
            ["bill_on_fridays"]
        );
        draft.bill_on_fridays = false;
        validate(&draft, &facts()).expect("FlexPay without Bill on Fridays");

        let mut fridays = plain(&[STORE_A]);
        fridays.bill_on_fridays = true;
        assert!(
            validate(&fridays, &facts()).is_ok_and(|p| p.bill_on_fridays),
            "without FlexPay, Bill on Fridays is allowed"
        );
    }

    #[test]
    fn r_rb_4_flexpay_takes_exactly_one_attempt_with_no_reduction_and_one_day() {
        let none = percent(0);
        let mut second = flexpay_draft();
        set(&mut second, 5, false, none, 1);
        message(&second, "skip_5");

        let mut reduced = flexpay_draft();
        set(&mut reduced, 4, false, percent(1000), 1);
        message(&reduced, "reduction_4");

        let mut waits = flexpay_draft();
        set(&mut waits, 4, false, none, 2);
        message(&waits, "wait_4");

        let mut skipped = flexpay_draft();
        set(&mut skipped, 4, true, none, 1);
        set(&mut skipped, 5, false, none, 1);
        message(&skipped, "skip_4");

        let mut two_blocks = flexpay_draft();
        two_blocks.blocks[Block::Extended2.index()] = BlockMerchant::Mid(FLEXPAY);
        message(&two_blocks, Block::Extended2.field());

        let profile = validate(&flexpay_draft(), &facts()).expect("the recommended setup is valid");
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
        let wait = |days: i64| {
            let mut draft = plain(&[STORE_A]);
            set(&mut draft, 3, false, percent(0), days);
            validate(&draft, &facts())
                .err()
                .and_then(|e| e.get("wait_3").map(str::to_owned))
        };
        assert_eq!(wait(0), None);
        assert_eq!(wait(WAIT_MAX_DAYS), None);
        assert!(wait(91).is_some());
        assert_eq!(wait(-1), wait(91));

        let flat = Reduction::Flat(Money::new(MinorUnits::from_minor(500), Currency::Usd));
        let mut wrong_kind = plain(&[STORE_A]);
        set(&mut wrong_kind, 1, false, flat, 1);
        message(&wrong_kind, "reduction_1");

        let mut other_currency = plain(&[STORE_A]);
        other_currency.reduction_type = ReductionType::Flat;
        let euros = Reduction::Flat(Money::new(MinorUnits::from_minor(500), Currency::Eur));
        for n in 1..=ATTEMPTS {
            set(
                &mut other_currency,
                n,
                false,
                Reduction::none(ReductionType::Flat, Currency::Usd),
                1,
            );
        }
        set(&mut other_currency, 2, false, euros, 1);
        assert_eq!(
            errors(&other_currency)
                .iter()
                .map(|e| e.field)
                .collect::<Vec<_>>(),
            ["reduction_2"],
            "a flat reduction is in the profile's currency"
        );

        let mut all_skipped = plain(&[STORE_A]);
        for a in &mut all_skipped.attempts {
            a.skip = true;
        }
        message(&all_skipped, "attempts");

        let none = message(&plain(&[]), "mids");
        let mut unknown = plain(&[STORE_A]);
        unknown.apply_to.push(MidId(99_999));
        assert_ne!(
            message(&unknown, "mids"),
            none,
            "a made-up id is not reported as no MID"
        );

        let mut several = plain(&[]);
        several.name = String::new();
        set(&mut several, 1, false, flat, 91);
        let e = errors(&several);
        for field in ["name", "mids", "reduction_1", "wait_1"] {
            assert!(e.get(field).is_some(), "{field} reported at once");
        }
    }

    #[test]
    fn skipped_attempts_are_not_checked_and_keep_what_they_can() {
        let mut draft = plain(&[STORE_A]);
        set(&mut draft, 2, true, percent(2500), 91);
        set(&mut draft, 3, true, percent(1250), 4);
        let profile = validate(&draft, &facts()).expect("a skipped row may hold anything");
        assert!(profile.attempt(2).skip);
        assert_eq!(
            profile.attempt(2).wait_days,
            WAIT_MAX_DAYS,
            "stored within range"
        );
        assert_eq!(*profile.attempt(3), draft.attempts[2], "kept as it was");
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
        /// Any draft: ids 1 to 9 (9 does not exist), in-range and out-of-range values, reductions
        /// of either kind.
        fn arbitrary_draft()(
            mids in proptest::collection::vec(1i64..=9, 0..4),
            merchants in proptest::collection::vec(proptest::option::of(1i64..=9), 4),
            attempts in proptest::collection::vec(
                (any::<bool>(), any::<bool>(), 0u32..=10_000, -1i64..=91),
                ATTEMPTS,
            ),
            fridays in any::<bool>(),
            flat in any::<bool>(),
        ) -> RecycleDraft {
            let mut draft = RecycleDraft::blank();
            draft.name = "P".into();
            draft.bill_on_fridays = fridays;
            if flat {
                draft.reduction_type = ReductionType::Flat;
            }
            draft.apply_to = mids.into_iter().map(MidId).collect();
            for (block, m) in Block::ALL.into_iter().zip(merchants) {
                draft.blocks[block.index()] = m.map_or(BlockMerchant::Original, |m| BlockMerchant::Mid(MidId(m)));
            }
            for (a, (skip, flat_reduction, value, wait_days)) in draft.attempts.iter_mut().zip(attempts) {
                let reduction = if flat_reduction {
                    Reduction::Flat(Money::new(MinorUnits::from_minor(i64::from(value)), Currency::Usd))
                } else {
                    percent(value)
                };
                *a = AttemptRule { skip, reduction, wait_days };
            }
            draft
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        #[test]
        fn any_profile_the_validator_accepts_satisfies_every_rule(draft in arbitrary_draft()) {
            let facts = mixed_facts();
            if let Ok(p) = validate(&draft, &facts) {
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
                for a in &p.attempts {
                    prop_assert!((0..=WAIT_MAX_DAYS).contains(&a.wait_days), "storable, skipped or not");
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
