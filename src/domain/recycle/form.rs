//! The editor's values as typed, and the presets that fill them in.

use std::collections::BTreeMap;

use super::{ATTEMPTS, Block};
use crate::domain::ids::MidId;

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

    /// A blank editor: everything active, no reduction, waits of 1, 3, 5, ... days.
    pub fn blank() -> Self {
        let mut form = Self {
            reduction_type: "percent".to_owned(),
            currency: "USD".to_owned(),
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
