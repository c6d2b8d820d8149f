//! The recycle editor's values as typed, read into a domain [`RecycleDraft`].

use std::collections::BTreeMap;

use crate::domain::FieldErrors;
use crate::domain::ids::MidId;
use crate::domain::money::{Currency, Money};
use crate::domain::recycle::{
    ATTEMPTS, AttemptRule, Block, BlockMerchant, FLEXPAY_BLOCK, FLEXPAY_WAIT_DAYS,
    MERCHANT_UNKNOWN, MID_GONE, REDUCTION_FIELDS, RecycleDraft, Reduction, ReductionType,
    WAIT_FIELDS, read_reduction, read_wait,
};

/// The editor as typed: every value a string, checkboxes present when ticked, `mids` repeated.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct RecycleForm {
    pub name: String,
    pub bill_on_fridays: Option<String>,
    pub reduction_type: String,
    pub currency: String,
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

    /// The FlexPay recommended setup (see [`RecycleDraft::apply_flexpay_setup`]) applied to the
    /// values as typed, so a skipped row keeps exactly what the user left in it.
    pub fn apply_flexpay_setup(&mut self, flexpay: MidId) {
        self.bill_on_fridays = None;
        let chosen = FLEXPAY_BLOCK.first_attempt();
        for n in 1..=ATTEMPTS {
            let (reduction, wait) = if n == chosen {
                ("0".to_owned(), FLEXPAY_WAIT_DAYS.to_string())
            } else {
                (self.reduction(n).to_owned(), self.wait(n).to_owned())
            };
            self.set_attempt(n, n != chosen, &reduction, &wait);
        }
        self.set_merchant(FLEXPAY_BLOCK, flexpay.to_string());
    }

    /// Reads every value. Each one that cannot be read gets a message, and a stand-in (no
    /// reduction, no wait, no MID) in the draft, so the rules can still be checked for the rest
    /// and the editor shows every message at once.
    pub fn read(&self) -> (RecycleDraft, FieldErrors) {
        let mut errors = FieldErrors::default();
        let blank = RecycleDraft::blank();
        let reduction_type =
            ReductionType::from_key(self.reduction_type.trim()).unwrap_or_else(|| {
                errors.push("reduction_type", "Pick percent or flat amount.");
                blank.reduction_type
            });
        let currency = match self.currency.trim() {
            "" => blank.currency,
            code => Currency::from_code(code).unwrap_or_else(|| {
                errors.push("currency", "Pick a currency from the list.");
                blank.currency
            }),
        };
        let minimum_price = match self.minimum_price.trim() {
            "" => Money::zero(currency),
            raw => errors
                .take("minimum_price", Money::parse(raw, currency))
                .unwrap_or(Money::zero(currency)),
        };
        let mut apply_to = Vec::new();
        for raw in &self.mids {
            match raw.trim().parse::<i64>() {
                Ok(id) => apply_to.push(MidId(id)),
                Err(_) if errors.get("mids").is_none() => errors.push("mids", MID_GONE),
                Err(_) => {}
            }
        }
        let mut blocks = blank.blocks;
        for block in Block::ALL {
            match self.merchant(block).trim() {
                "" | "original" => {}
                raw => match raw.parse::<i64>() {
                    Ok(id) => blocks[block.index()] = BlockMerchant::Mid(MidId(id)),
                    Err(_) => errors.push(block.field(), MERCHANT_UNKNOWN),
                },
            }
        }
        let none = Reduction::none(reduction_type, currency);
        let mut attempts = blank.attempts;
        for (n, attempt) in (1..).zip(attempts.iter_mut()) {
            let skip = self.skip(n);
            let reduction = read_reduction(reduction_type, self.reduction(n), currency);
            let wait_days = read_wait(self.wait(n));
            // A skipped row is not checked: what cannot be read there is simply not kept.
            let (reduction, wait_days) = if skip {
                (reduction.ok(), wait_days.ok())
            } else {
                (
                    errors.take(REDUCTION_FIELDS[n - 1], reduction),
                    errors.take(WAIT_FIELDS[n - 1], wait_days),
                )
            };
            let (reduction, wait_days) = (reduction.unwrap_or(none), wait_days.unwrap_or(0));
            *attempt = AttemptRule {
                skip,
                reduction,
                wait_days,
            };
        }
        let draft = RecycleDraft {
            name: self.name.clone(),
            bill_on_fridays: self.bill_on_fridays.is_some(),
            currency,
            reduction_type,
            minimum_price,
            apply_to,
            attempts,
            blocks,
        };
        (draft, errors)
    }
}

impl From<&RecycleDraft> for RecycleForm {
    /// A draft (a blank editor, a saved profile) as the editor's values.
    fn from(d: &RecycleDraft) -> Self {
        let mut form = RecycleForm {
            name: d.name.clone(),
            bill_on_fridays: d.bill_on_fridays.then(|| "on".to_owned()),
            reduction_type: d.reduction_type.key().to_owned(),
            currency: d.currency.code().to_owned(),
            minimum_price: d.minimum_price.to_input(),
            mids: d.apply_to.iter().map(|m| m.to_string()).collect(),
            ..RecycleForm::default()
        };
        for block in Block::ALL {
            let value = match d.blocks[block.index()] {
                BlockMerchant::Original => "original".to_owned(),
                BlockMerchant::Mid(id) => id.to_string(),
            };
            form.set_merchant(block, value);
        }
        for (n, a) in (1..).zip(&d.attempts) {
            form.set_attempt(n, a.skip, &a.reduction.to_input(), &a.wait_days.to_string());
        }
        form
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> RecycleForm {
        let mut form = RecycleForm::from(&RecycleDraft::blank());
        form.name = "P".to_owned();
        form.mids = vec!["1".to_owned()];
        form
    }

    /// The reading message against `field` when attempt 2 holds `reduction` and `wait`.
    fn attempt_message(kind: &str, reduction: &str, wait: &str, field: &str) -> Option<String> {
        let mut form = form();
        form.reduction_type = kind.to_owned();
        form.set_attempt(2, false, reduction, wait);
        form.read().1.get(field).map(str::to_owned)
    }

    #[test]
    fn r_rb_5_unreadable_reductions_and_waits_are_named_next_to_their_field() {
        let malformed = attempt_message("percent", "ten", "3", "reduction_2").expect("ten");
        for raw in ["-1", "12.5.5"] {
            assert_eq!(
                attempt_message("percent", raw, "3", "reduction_2").as_ref(),
                Some(&malformed),
                "{raw} is not a percent"
            );
        }
        let above = attempt_message("percent", "101", "3", "reduction_2").expect("101");
        assert_ne!(above, malformed, "above 100 says so");
        assert!(attempt_message("flat", "abc", "3", "reduction_2").is_some());
        assert_eq!(attempt_message("flat", "5.25", "3", "reduction_2"), None);

        let not_whole = attempt_message("percent", "0", "2.5", "wait_2").expect("2.5");
        assert_eq!(
            attempt_message("percent", "0", "soon", "wait_2"),
            Some(not_whole)
        );
        assert_eq!(
            attempt_message("percent", "0", "91", "wait_2"),
            None,
            "the range is the validator's rule"
        );
    }

    #[test]
    fn skipped_rows_are_not_read_strictly() {
        let mut form = form();
        form.set_attempt(2, true, "ten", "soon");
        let (draft, errors) = form.read();
        assert!(errors.is_empty(), "{errors}");
        assert!(draft.attempts[1].skip);
    }

    #[test]
    fn a_draft_survives_the_round_trip_through_the_form() {
        let mut draft = RecycleDraft::blank();
        draft.name = "Main".to_owned();
        draft.apply_to = vec![MidId(3), MidId(4)];
        draft.apply_flexpay_setup(MidId(9));
        let (read, errors) = RecycleForm::from(&draft).read();
        assert!(errors.is_empty(), "{errors}");
        assert_eq!(read, draft);
    }

    #[test]
    fn the_form_preset_and_the_draft_preset_agree() {
        let mut preset = form();
        preset.apply_flexpay_setup(MidId(9));
        let mut draft = form().read().0;
        draft.apply_flexpay_setup(MidId(9));
        assert_eq!(preset.read().0, draft);
    }
}
