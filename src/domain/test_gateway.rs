//! The built-in test gateway's card table (SPEC 4.6, R-TG-1) as pure functions: what a sale or a
//! refund on a test card answers, given what the gateway's vault remembers about its token (how
//! many charges and refunds it has seen). The vault, settlement and idempotency (R-TG-3, R-TG-4)
//! are state and live with the gateway's storage; the answers live here.

use super::card::CardNumber;
use super::decline::GatewayResponse;
use super::money::Money;
use super::provider::Provider;

/// How a gateway answered a charge or a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
pub enum ChargeResult {
    #[strum(serialize = "approved")]
    Approved,
    #[strum(serialize = "declined")]
    Declined,
    /// The gateway could not decide (a timeout, a system malfunction).
    #[strum(serialize = "error")]
    Error,
}

/// The transaction result a gateway's answer records.
impl From<ChargeResult> for super::payment::TransactionResult {
    fn from(result: ChargeResult) -> Self {
        match result {
            ChargeResult::Approved => Self::Approved,
            ChargeResult::Declined => Self::Declined,
            ChargeResult::Error => Self::Error,
        }
    }
}

/// A gateway's answer: its result, response code and text, and for Mastercard declines the
/// merchant advice code (21: never retry this card).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub result: ChargeResult,
    pub code: &'static str,
    pub text: &'static str,
    pub advice_code: Option<&'static str>,
}

impl Answer {
    const fn of(result: ChargeResult, code: &'static str, text: &'static str) -> Self {
        Self {
            result,
            code,
            text,
            advice_code: None,
        }
    }

    /// The answer as `classify()` reads it.
    pub fn response(&self) -> GatewayResponse<'static> {
        GatewayResponse {
            provider: Some(Provider::Test),
            code: self.code,
            text: self.text,
            advice_code: self.advice_code,
        }
    }

    const APPROVED: Answer = Answer::of(ChargeResult::Approved, "00", "approved");
    const DO_NOT_HONOR: Answer = Answer::of(ChargeResult::Declined, "05", "do not honor");
    const INSUFFICIENT_FUNDS: Answer =
        Answer::of(ChargeResult::Declined, "51", "insufficient funds");
    const REFUND_FAILED: Answer = Answer::of(ChargeResult::Declined, "06", "refund failed");
    const NOTHING_TO_REFUND: Answer =
        Answer::of(ChargeResult::Declined, "12", "invalid transaction");
}

/// What a test card does, by its number (R-TG-1). The key is what the test gateway's vault
/// keeps for a token in place of the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Scenario {
    /// Sales and refunds approved.
    Approve,
    /// 05 do not honor (soft).
    DoNotHonor,
    /// 51 insufficient funds above 20.00 of the order's currency; approved at or below.
    FundsUpTo20,
    /// 51 on the first 3 charges of its token, approved from the 4th.
    DeclinesThreeTimes,
    /// 43 stolen card (hard; Visa never-retry).
    Stolen,
    /// 54 expired card (hard).
    Expired,
    /// Error 96 system malfunction (soft).
    Malfunction,
    /// 05 with Mastercard merchant advice code 21 (never retry).
    NeverRetry,
    /// Sales approved; every refund fails.
    RefundsFail,
    /// Sales approved; the first refund attempt fails, later ones succeed.
    FirstRefundFails,
    /// A valid number not in the table: 14 invalid card number (hard).
    Unknown,
}

/// The table of SPEC 4.6, number by number.
const TABLE: &[(&str, Scenario)] = &[
    ("4111111111111111", Scenario::Approve),
    ("5555555555554444", Scenario::Approve),
    ("378282246310005", Scenario::Approve),
    ("6011111111111117", Scenario::Approve),
    ("4000056655665556", Scenario::Approve),
    ("5200828282828210", Scenario::Approve),
    ("5105105105105100", Scenario::Approve),
    ("4000000000000002", Scenario::DoNotHonor),
    ("4000000000009995", Scenario::FundsUpTo20),
    ("4000000000000341", Scenario::DeclinesThreeTimes),
    ("4000000000009979", Scenario::Stolen),
    ("4000000000000069", Scenario::Expired),
    ("4000000000000119", Scenario::Malfunction),
    ("5200000000000007", Scenario::NeverRetry),
    ("4000000000005126", Scenario::RefundsFail),
    ("4000000000007726", Scenario::FirstRefundFails),
];

/// The cards of the table, in its order, for pickers ("Run a test sale").
pub fn test_cards() -> impl Iterator<Item = (&'static str, Scenario)> {
    TABLE.iter().copied()
}

impl Scenario {
    /// What the card does, as a picker shows it.
    pub fn label(self) -> &'static str {
        match self {
            Scenario::Approve => "approved",
            Scenario::DoNotHonor => "declined 05 do not honor (soft)",
            Scenario::FundsUpTo20 => "declined 51 above 20.00, approved at or below",
            Scenario::DeclinesThreeTimes => "declined 51 on the first 3 charges",
            Scenario::Stolen => "declined 43 stolen card (hard)",
            Scenario::Expired => "declined 54 expired card (hard)",
            Scenario::Malfunction => "error 96 system malfunction (soft)",
            Scenario::NeverRetry => "declined 05, advice code 21 (never retry)",
            Scenario::RefundsFail => "approved; every refund fails",
            Scenario::FirstRefundFails => "approved; the first refund fails",
            Scenario::Unknown => "declined 14 invalid card number",
        }
    }

    pub fn key(self) -> &'static str {
        self.into()
    }

    pub fn from_key(key: &str) -> Option<Self> {
        key.parse().ok()
    }

    pub fn of(card: &CardNumber) -> Scenario {
        TABLE
            .iter()
            .find(|(number, _)| *number == card.digits())
            .map_or(Scenario::Unknown, |(_, scenario)| *scenario)
    }

    /// A sale or rebill of `amount`, after `earlier_charges` charges of the same token.
    pub fn sale(self, amount: Money, earlier_charges: u32) -> Answer {
        use ChargeResult::{Declined, Error};
        match self {
            Scenario::Approve | Scenario::RefundsFail | Scenario::FirstRefundFails => {
                Answer::APPROVED
            }
            Scenario::DoNotHonor => Answer::DO_NOT_HONOR,
            Scenario::FundsUpTo20 => {
                let limit = Money::whole(20, amount.currency())
                    .unwrap_or_else(|| unreachable!("20 whole units fit every currency"));
                if amount.amount() > limit.amount() {
                    Answer::INSUFFICIENT_FUNDS
                } else {
                    Answer::APPROVED
                }
            }
            Scenario::DeclinesThreeTimes if earlier_charges < 3 => Answer::INSUFFICIENT_FUNDS,
            Scenario::DeclinesThreeTimes => Answer::APPROVED,
            Scenario::Stolen => Answer::of(Declined, "43", "stolen card"),
            Scenario::Expired => Answer::of(Declined, "54", "expired card"),
            Scenario::Malfunction => Answer::of(Error, "96", "system malfunction"),
            Scenario::NeverRetry => Answer {
                advice_code: Some("21"),
                ..Answer::DO_NOT_HONOR
            },
            Scenario::Unknown => Answer::of(Declined, "14", "invalid card number"),
        }
    }

    /// A refund, after `earlier_attempts` refund attempts on the same token. Cards whose sales
    /// always decline have nothing to refund.
    pub fn refund(self, earlier_attempts: u32) -> Answer {
        match self {
            Scenario::Approve | Scenario::FundsUpTo20 | Scenario::DeclinesThreeTimes => {
                Answer::APPROVED
            }
            Scenario::RefundsFail => Answer::REFUND_FAILED,
            Scenario::FirstRefundFails if earlier_attempts == 0 => Answer::REFUND_FAILED,
            Scenario::FirstRefundFails => Answer::APPROVED,
            Scenario::DoNotHonor
            | Scenario::Stolen
            | Scenario::Expired
            | Scenario::Malfunction
            | Scenario::NeverRetry
            | Scenario::Unknown => Answer::NOTHING_TO_REFUND,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::{Currency, MinorUnits};
    use ChargeResult::{Approved, Declined, Error};

    fn scenario(number: &str) -> Scenario {
        Scenario::of(&CardNumber::parse(number).expect("a Luhn-valid test number"))
    }

    fn usd(minor: i64) -> Money {
        Money::new(MinorUnits::from_minor(minor), Currency::Usd)
    }

    /// (result, code) of a first sale of 49.99 USD.
    fn first_sale(number: &str) -> (ChargeResult, &'static str) {
        let answer = scenario(number).sale(usd(4999), 0);
        (answer.result, answer.code)
    }

    #[test]
    fn r_tg_1_every_card_of_the_table_answers_as_written() {
        for approved in [
            "4111111111111111",
            "5555555555554444",
            "378282246310005",
            "6011111111111117",
            "4000056655665556",
            "5200828282828210",
            "5105105105105100",
            "4000000000005126",
            "4000000000007726",
        ] {
            assert_eq!(first_sale(approved), (Approved, "00"), "{approved}");
            assert_eq!(scenario(approved).sale(usd(4999), 7).result, Approved);
        }
        assert_eq!(first_sale("4000000000000002"), (Declined, "05"));
        assert_eq!(first_sale("4000000000009979"), (Declined, "43"));
        assert_eq!(first_sale("4000000000000069"), (Declined, "54"));
        assert_eq!(first_sale("4000000000000119"), (Error, "96"));
        let never = scenario("5200000000000007").sale(usd(4999), 0);
        assert_eq!(
            (never.result, never.code, never.advice_code),
            (Declined, "05", Some("21"))
        );
        assert_eq!(
            first_sale("4242424242424242"),
            (Declined, "14"),
            "a valid number not in the table"
        );
    }

    #[test]
    fn r_tg_1_each_decline_classifies_as_the_table_says() {
        use crate::domain::decline::{DeclineClass, classify};
        let class = |number: &str| classify(&[], &scenario(number).sale(usd(4999), 0).response());
        for (number, expected) in [
            ("4000000000000002", DeclineClass::Soft),
            ("4000000000009995", DeclineClass::Soft),
            ("4000000000000341", DeclineClass::Soft),
            ("4000000000009979", DeclineClass::Hard),
            ("4000000000000069", DeclineClass::Hard),
            ("4000000000000119", DeclineClass::Soft),
            ("5200000000000007", DeclineClass::Hard),
            ("4242424242424242", DeclineClass::Hard),
        ] {
            assert_eq!(class(number), expected, "{number}");
        }
    }

    #[test]
    fn r_tg_1_insufficient_funds_above_20_in_the_orders_currency() {
        let card = scenario("4000000000009995");
        assert_eq!(card.sale(usd(2000), 0).result, Approved, "at 20.00");
        assert_eq!(card.sale(usd(2001), 0).code, "51", "above 20.00");
        let yen = |minor| Money::new(MinorUnits::from_minor(minor), Currency::Jpy);
        assert_eq!(card.sale(yen(20), 0).result, Approved, "20 yen");
        assert_eq!(card.sale(yen(21), 0).code, "51", "21 yen");
        let dinar = Money::new(MinorUnits::from_minor(20_000), Currency::Bhd);
        assert_eq!(card.sale(dinar, 0).result, Approved, "20.000 BHD");
        assert_eq!(card.refund(0).result, Approved);
    }

    #[test]
    fn r_tg_1_the_fourth_charge_of_a_token_goes_through() {
        let card = scenario("4000000000000341");
        let results: Vec<&str> = (0..5)
            .map(|n| card.sale(usd(4999), n).result.into())
            .collect();
        assert_eq!(
            results,
            ["declined", "declined", "declined", "approved", "approved"]
        );
        assert_eq!(card.sale(usd(4999), 0).code, "51");
    }

    #[test]
    fn r_tg_1_refunds_fail_always_or_only_the_first_time() {
        let always = scenario("4000000000005126");
        assert!((0..3).all(|n| always.refund(n).result == Declined));
        let once = scenario("4000000000007726");
        assert_eq!(once.refund(0).result, Declined);
        assert_eq!(once.refund(1).result, Approved);
        assert_eq!(scenario("4111111111111111").refund(0).result, Approved);
        assert_eq!(
            scenario("4000000000000002").refund(0).code,
            "12",
            "a card that never sold has nothing to refund"
        );
    }
}
