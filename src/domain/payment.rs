//! Transactions and what may be done to them (SPEC 3, R-CS-1, R-CS-2), as pure rules over what
//! the database says about a transaction. Concurrency (two agents refunding at once) is the
//! service's part: it checks these rules inside the transaction that locks the row.

use super::money::{Money, MoneyError};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum TransactionKind {
    #[strum(serialize = "sale")]
    Sale,
    #[strum(serialize = "auth")]
    Auth,
    #[strum(serialize = "capture")]
    Capture,
    #[strum(serialize = "refund")]
    Refund,
    #[strum(serialize = "void")]
    Void,
}

impl TransactionKind {
    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }

    /// Whether it moves the customer's money to the merchant (what refunds and voids undo).
    pub fn takes_money(self) -> bool {
        matches!(self, TransactionKind::Sale | TransactionKind::Capture)
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::EnumIter,
)]
pub enum TransactionResult {
    #[strum(serialize = "approved")]
    Approved,
    #[strum(serialize = "declined")]
    Declined,
    #[strum(serialize = "error")]
    Error,
    /// A refund or void reserved before its gateway call, until the answer is written.
    #[strum(serialize = "pending")]
    Pending,
}

impl TransactionResult {
    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }
}

/// What the rules need to know about a transaction and what has been done to it since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Charged {
    pub kind: TransactionKind,
    pub result: TransactionResult,
    pub amount: Money,
    pub settled: bool,
    pub voided: bool,
    /// The sum of its approved refunds.
    pub refunded: Money,
}

/// Why a void or refund cannot be done; said to the agent in these words (409 in the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Only an approved sale or capture can be voided or refunded.")]
    NotACharge,
    #[error("This transaction was voided already.")]
    Voided,
    #[error("This transaction has settled: refund it instead of voiding it.")]
    Settled,
    #[error(
        "This transaction has not settled yet: void it instead (a refund returns settled money)."
    )]
    NotSettled,
    #[error("Part of it was refunded already, so it can no longer be voided whole.")]
    PartlyRefunded,
    #[error("Nothing is left to refund.")]
    NothingLeft,
    #[error("Enter an amount greater than 0.")]
    NotPositive,
    #[error("At most {0} can still be refunded.")]
    MoreThanLeft(Money),
    #[error("Refund in the transaction's currency.")]
    OtherCurrency,
}

impl Charged {
    fn charge(&self) -> Result<(), Refusal> {
        if !self.kind.takes_money() || self.result != TransactionResult::Approved {
            return Err(Refusal::NotACharge);
        }
        if self.voided {
            return Err(Refusal::Voided);
        }
        Ok(())
    }

    /// What can still be refunded.
    pub fn refundable(&self) -> Result<Money, MoneyError> {
        self.amount.checked_sub(self.refunded)
    }

    /// R-CS-1: a void reverses an unsettled charge, whole, never part of one.
    pub fn may_void(&self) -> Result<(), Refusal> {
        self.charge()?;
        if self.settled {
            return Err(Refusal::Settled);
        }
        if self.refunded.amount().get() > 0 {
            return Err(Refusal::PartlyRefunded);
        }
        Ok(())
    }

    /// R-CS-2: a refund of settled money, `amount` of it (all that is left when `None`), never
    /// more than is left.
    pub fn may_refund(&self, amount: Option<Money>) -> Result<Money, Refusal> {
        if !self.settled && self.charge().is_ok() {
            return Err(Refusal::NotSettled);
        }
        self.may_refund_unsettled(amount)
    }

    /// R-CS-3: the order summary's refund after a void failed, which may refund money that has
    /// not settled yet.
    pub fn may_refund_unsettled(&self, amount: Option<Money>) -> Result<Money, Refusal> {
        self.charge()?;
        let left = self.refundable().map_err(|_| Refusal::OtherCurrency)?;
        if left.amount().get() <= 0 {
            return Err(Refusal::NothingLeft);
        }
        let Some(amount) = amount else {
            return Ok(left);
        };
        if amount.currency() != left.currency() {
            return Err(Refusal::OtherCurrency);
        }
        if amount.amount().get() <= 0 {
            return Err(Refusal::NotPositive);
        }
        if amount.amount() > left.amount() {
            return Err(Refusal::MoreThanLeft(left));
        }
        Ok(amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::{Currency, MinorUnits};

    fn usd(minor: i64) -> Money {
        Money::new(MinorUnits::from_minor(minor), Currency::Usd)
    }

    fn sale() -> Charged {
        Charged {
            kind: TransactionKind::Sale,
            result: TransactionResult::Approved,
            amount: usd(4999),
            settled: false,
            voided: false,
            refunded: usd(0),
        }
    }

    #[test]
    fn r_cs_1_only_an_unsettled_untouched_charge_is_voided_whole() {
        assert_eq!(sale().may_void(), Ok(()));
        let settled = Charged {
            settled: true,
            ..sale()
        };
        assert_eq!(settled.may_void(), Err(Refusal::Settled));
        let part = Charged {
            refunded: usd(1000),
            ..sale()
        };
        assert_eq!(part.may_void(), Err(Refusal::PartlyRefunded));
        let voided = Charged {
            voided: true,
            ..sale()
        };
        assert_eq!(voided.may_void(), Err(Refusal::Voided));
        let declined = Charged {
            result: TransactionResult::Declined,
            ..sale()
        };
        assert_eq!(declined.may_void(), Err(Refusal::NotACharge));
        let refund = Charged {
            kind: TransactionKind::Refund,
            ..sale()
        };
        assert_eq!(refund.may_void(), Err(Refusal::NotACharge));
    }

    #[test]
    fn r_cs_2_refunds_never_pass_what_was_captured() {
        let settled = Charged {
            settled: true,
            ..sale()
        };
        assert_eq!(settled.may_refund(None), Ok(usd(4999)), "all that is left");
        assert_eq!(settled.may_refund(Some(usd(1000))), Ok(usd(1000)));
        let part = Charged {
            refunded: usd(4000),
            ..settled
        };
        assert_eq!(part.may_refund(Some(usd(999))), Ok(usd(999)));
        assert_eq!(
            part.may_refund(Some(usd(1000))),
            Err(Refusal::MoreThanLeft(usd(999)))
        );
        let all = Charged {
            refunded: usd(4999),
            ..settled
        };
        assert_eq!(all.may_refund(None), Err(Refusal::NothingLeft));
        assert_eq!(settled.may_refund(Some(usd(0))), Err(Refusal::NotPositive));
        let euros = Money::new(MinorUnits::from_minor(100), Currency::Eur);
        assert_eq!(settled.may_refund(Some(euros)), Err(Refusal::OtherCurrency));
        assert_eq!(
            Charged {
                voided: true,
                ..settled
            }
            .may_refund(None),
            Err(Refusal::Voided)
        );
        assert_eq!(
            sale().may_refund(None),
            Err(Refusal::NotSettled),
            "a refund returns settled money: void an unsettled charge"
        );
        assert_eq!(
            sale().may_refund_unsettled(None),
            Ok(usd(4999)),
            "an unsettled charge may be refunded when its void fails (R-CS-3)"
        );
    }
}
