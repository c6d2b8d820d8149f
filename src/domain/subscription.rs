//! Purchase details (seed 004, R-CS-6, R-CS-7): a subscription as an agent sees and changes it.
//! What may be done in which state, and the values an agent types (a quantity, a unit price, a
//! next billing date, a pause's end) parsed into types that are valid by construction. The
//! price of a purchase is always quantity x unit price, computed with checked arithmetic.

use chrono::{DateTime, Days, NaiveDate, NaiveTime, Utc};

use super::FieldErrors;
use super::catalogue::StoredProduct;
use super::ids::{CustomerId, MidId, OrderId, PaymentMethodId, ProductId, SubscriptionId};
use super::money::{Currency, Money, MoneyError};
use super::order::{MAX_QUANTITY, SubscriptionStatus};

/// How far ahead a next billing date or a pause's end may be set.
pub const MAX_DAYS_AHEAD: u64 = 730;

/// A subscription with everything the purchase details page shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionDetails {
    pub id: SubscriptionId,
    pub order_id: OrderId,
    pub customer_id: CustomerId,
    pub customer_name: String,
    pub customer_email: String,
    pub product_id: ProductId,
    pub product_name: String,
    pub option: Option<String>,
    pub mid_id: MidId,
    pub mid_title: String,
    pub payment_method_id: PaymentMethodId,
    /// "Visa …1111".
    pub card_label: String,
    pub status: SubscriptionStatus,
    pub quantity: u32,
    pub unit_price: Money,
    pub price: Money,
    pub cycle_days: u32,
    pub next_bill_at: Option<DateTime<Utc>>,
    pub paused_until: Option<DateTime<Utc>>,
    /// The status a paused subscription goes back to.
    pub paused_from: Option<SubscriptionStatus>,
    pub cancel_reason: Option<String>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cycles_billed: u32,
    /// Whether the purchase began with a trial (its order line was charged the trial price).
    pub began_with_trial: bool,
    pub last_decline: Option<LastDecline>,
    pub created_at: DateTime<Utc>,
}

/// The subscription's last declined charge, as its transaction on the order recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastDecline {
    pub transaction_id: super::ids::TransactionId,
    pub amount: Money,
    pub code: String,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Where a purchase stands with its trial.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrialState {
    /// In its trial; the first full charge is due at the next billing date.
    InTrial { ends: Option<DateTime<Utc>> },
    /// It began with a trial that is over (billed, skipped or stopped).
    Ended,
    /// It never had a trial.
    None,
}

/// A billing day as the pages and History say it: "2026-12-17", or "none".
pub fn bill_day(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "none".to_owned(), |at| at.format("%Y-%m-%d").to_string())
}

impl SubscriptionDetails {
    /// The next bill's day (see [`bill_day`]).
    pub fn next_bill_day(&self) -> String {
        bill_day(self.next_bill_at)
    }

    pub fn trial_state(&self) -> TrialState {
        if self.status == SubscriptionStatus::Trial
            || (self.status == SubscriptionStatus::Paused
                && self.paused_from == Some(SubscriptionStatus::Trial))
        {
            TrialState::InTrial {
                ends: self.next_bill_at,
            }
        } else if self.began_with_trial {
            TrialState::Ended
        } else {
            TrialState::None
        }
    }

    pub fn is_cancelled(&self) -> bool {
        self.status == SubscriptionStatus::Cancelled
    }
}

/// A subscription and its product as the catalogue has it now (`None` when it is gone), for
/// the options and the trial the page offers.
#[derive(Debug, Clone)]
pub struct Purchase {
    pub subscription: SubscriptionDetails,
    pub product: Option<StoredProduct>,
}

impl Purchase {
    /// The names of the options the product offers now.
    pub fn option_names(&self) -> Vec<String> {
        self.product
            .as_ref()
            .map(|p| p.product.options.iter().map(|o| o.name.clone()).collect())
            .unwrap_or_default()
    }

    /// The trial the product offers now, in days.
    pub fn trial_days(&self) -> Option<u32> {
        self.product
            .as_ref()
            .and_then(|p| p.product.trial.map(|t| t.days))
    }
}

/// What an agent (or the API) may do to a purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    RestartTrial,
    SkipTrial,
    StopTrial,
    ChangeOption,
    ChangePrice,
    ChangeNextBill,
    Cancel,
    Pause,
    Resume,
    ForceBill,
}

/// Why a purchase's state forbids an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("This subscription is cancelled: it cannot be changed.")]
    Cancelled,
    #[error("This subscription is not in its trial.")]
    NotInTrial,
    #[error("Only an active subscription or one in its trial can be paused; this one is {0}.")]
    NotPausable(&'static str),
    #[error("This subscription is not paused.")]
    NotPaused,
    #[error("This subscription is paused: resume it before billing it.")]
    PausedNoBill,
}

/// R-CS-7: whether `action` may be done to a subscription in `status`. A cancelled one refuses
/// everything; the trial's actions need a trial; only a live subscription pauses, only a paused
/// one resumes, and a paused one is not billed.
pub fn check_action(status: SubscriptionStatus, action: Action) -> Result<(), Refusal> {
    use SubscriptionStatus as S;
    if status == S::Cancelled {
        return Err(Refusal::Cancelled);
    }
    match action {
        Action::RestartTrial | Action::SkipTrial | Action::StopTrial if status != S::Trial => {
            Err(Refusal::NotInTrial)
        }
        Action::Pause if !matches!(status, S::Active | S::Trial) => {
            Err(Refusal::NotPausable(status.label()))
        }
        Action::Resume if status != S::Paused => Err(Refusal::NotPaused),
        Action::ForceBill if status == S::Paused => Err(Refusal::PausedNoBill),
        _ => Ok(()),
    }
}

/// A quantity of 1 to [`MAX_QUANTITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quantity(u32);

impl Quantity {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let message = || format!("Enter a whole quantity of 1 to {MAX_QUANTITY}.");
        let raw = raw.trim();
        let n: i64 = raw.parse().map_err(|_| message())?;
        u32::try_from(n)
            .ok()
            .filter(|q| (1..=MAX_QUANTITY).contains(q))
            .map(Self)
            .ok_or_else(message)
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// A unit price of 0 or more in the subscription's currency, read straight into minor units.
pub fn parse_unit_price(raw: &str, currency: Currency) -> Result<Money, String> {
    let raw = raw.trim();
    if raw.starts_with('-') {
        return Err("Enter a unit price of 0 or more.".to_owned());
    }
    if raw.is_empty() {
        return Err("Enter the unit price.".to_owned());
    }
    Money::parse(raw, currency).map_err(|e| e.to_string())
}

/// R-CS-6: a purchase's price is quantity x unit price.
pub fn price_of(quantity: u32, unit_price: Money) -> Result<Money, MoneyError> {
    unit_price.checked_times(quantity)
}

/// A new quantity and unit price with the price they make (R-CS-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriceChange {
    pub quantity: Quantity,
    pub unit_price: Money,
    pub price: Money,
}

impl PriceChange {
    /// Reads the quantity and unit price as typed; every message at once, on `quantity` and
    /// `unit_price`. A price that would not fit is refused, never wrapped.
    pub fn parse(
        quantity: &str,
        unit_price: &str,
        currency: Currency,
    ) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let quantity = errors.take("quantity", Quantity::parse(quantity));
        let unit_price = errors.take("unit_price", parse_unit_price(unit_price, currency));
        let (Some(quantity), Some(unit_price)) = (quantity, unit_price) else {
            return Err(errors);
        };
        match price_of(quantity.get(), unit_price) {
            Ok(price) => Ok(Self {
                quantity,
                unit_price,
                price,
            }),
            Err(_) => {
                errors.push(
                    "unit_price",
                    "This quantity and unit price make a price too large.",
                );
                Err(errors)
            }
        }
    }
}

/// A day typed as YYYY-MM-DD (what a date field sends), from `today` up to
/// [`MAX_DAYS_AHEAD`] days on.
fn parse_day(raw: &str, today: NaiveDate, what: &str) -> Result<NaiveDate, String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(format!(
            "Enter the {what}, like {}.",
            today.format("%Y-%m-%d")
        ));
    }
    let shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shaped {
        return Err(format!(
            "Enter the {what} as a date like {}.",
            today.format("%Y-%m-%d")
        ));
    }
    let date = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map_err(|_| format!("{raw} is not a date in the calendar."))?;
    if date < today {
        return Err(format!(
            "The {what} cannot be in the past; today is {}.",
            today.format("%Y-%m-%d")
        ));
    }
    if today
        .checked_add_days(Days::new(MAX_DAYS_AHEAD))
        .is_some_and(|last| date > last)
    {
        return Err(format!(
            "The {what} can be at most {MAX_DAYS_AHEAD} days ahead."
        ));
    }
    Ok(date)
}

/// A next billing date: a real date, today or later (by the clock), within
/// [`MAX_DAYS_AHEAD`] days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextBillDate(NaiveDate);

impl NextBillDate {
    pub fn parse(raw: &str, today: NaiveDate) -> Result<Self, String> {
        parse_day(raw, today, "next billing date").map(Self)
    }

    pub fn date(self) -> NaiveDate {
        self.0
    }

    /// When the bill is due: that day at the time of day the subscription bills at (`current`,
    /// else now), never before `now`.
    pub fn at(self, current: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DateTime<Utc> {
        let time = current.map_or(now.time(), |c| c.time());
        self.0.and_time(time).and_utc().max(now)
    }
}

/// How long a pause lasts: until a day (billing resumes then), or until an agent resumes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseUntil {
    Resumed,
    Day(NaiveDate),
}

impl PauseUntil {
    /// Empty: until resumed. Otherwise a day after today, within [`MAX_DAYS_AHEAD`] days.
    pub fn parse(raw: Option<&str>, today: NaiveDate) -> Result<Self, String> {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(Self::Resumed);
        };
        let day = parse_day(raw, today, "end of the pause")?;
        if day == today {
            return Err("A pause ends tomorrow at the earliest.".to_owned());
        }
        Ok(Self::Day(day))
    }

    /// The stored end: the start of that day, UTC.
    pub fn until(self) -> Option<DateTime<Utc>> {
        match self {
            Self::Resumed => None,
            Self::Day(day) => Some(day.and_time(NaiveTime::MIN).and_utc()),
        }
    }
}

/// When a trial restarted at `now` ends: now + the trial's days.
pub fn trial_restart_ends(now: DateTime<Utc>, trial_days: u32) -> Option<DateTime<Utc>> {
    now.checked_add_days(Days::new(u64::from(trial_days)))
}

/// When a purchase billed at `now` bills next: one cycle on.
pub fn next_cycle(now: DateTime<Utc>, cycle_days: u32) -> Option<DateTime<Utc>> {
    now.checked_add_days(Days::new(u64::from(cycle_days)))
}

/// When a resumed subscription bills next: as it was, or now when that date passed during the
/// pause (the engine bills it on its next round).
pub fn resumed_next_bill(
    stored: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    Some(stored.map_or(now, |at| at.max(now)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::MinorUnits;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 1, 15).unwrap_or_default()
    }

    fn usd(minor: i64) -> Money {
        Money::new(MinorUnits::from_minor(minor), Currency::Usd)
    }

    /// R-CS-6: price = quantity x unit price.
    #[test]
    fn r_cs_6_price_is_quantity_times_unit_price() {
        let change =
            PriceChange::parse("3", "39.99", Currency::Usd).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(change.price, usd(11_997));
        assert_eq!(change.unit_price, usd(3999));
        let free = PriceChange::parse("2", "0", Currency::Usd).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(free.price, usd(0));
        let yen = PriceChange::parse("4", "1500", Currency::Jpy).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(yen.price.amount().get(), 6000);
    }

    #[test]
    fn bad_quantities_and_unit_prices_are_named() {
        for (q, u, fields) in [
            ("0", "1", vec!["quantity"]),
            ("-1", "1", vec!["quantity"]),
            ("1.5", "1", vec!["quantity"]),
            ("1001", "1", vec!["quantity"]),
            ("two", "-1", vec!["quantity", "unit_price"]),
            ("1", "-0.01", vec!["unit_price"]),
            ("1", "1.999", vec!["unit_price"]),
            ("1", "1e309", vec!["unit_price"]),
            ("1", "", vec!["unit_price"]),
        ] {
            let errors = PriceChange::parse(q, u, Currency::Usd)
                .err()
                .unwrap_or_default();
            let named: Vec<&str> = errors.iter().map(|e| e.field).collect();
            assert_eq!(named, fields, "{q} x {u}");
        }
        let negative = PriceChange::parse("1", "-5", Currency::Usd)
            .err()
            .unwrap_or_default();
        assert_eq!(
            negative.get("unit_price"),
            Some("Enter a unit price of 0 or more.")
        );
    }

    #[test]
    fn an_overflowing_price_is_refused_not_wrapped() {
        assert!(price_of(2, usd(i64::MAX)).is_err());
    }

    #[test]
    fn a_next_billing_date_is_a_real_day_not_in_the_past() {
        assert_eq!(
            NextBillDate::parse("2026-01-15", today()).map(NextBillDate::date),
            Ok(today())
        );
        assert!(NextBillDate::parse("2026-03-01", today()).is_ok());
        let past = NextBillDate::parse("2026-01-14", today())
            .err()
            .unwrap_or_default();
        assert!(past.contains("past"), "{past}");
        let unreal = NextBillDate::parse("2026-02-30", today())
            .err()
            .unwrap_or_default();
        assert_eq!(unreal, "2026-02-30 is not a date in the calendar.");
        let text = NextBillDate::parse("next tuesday", today())
            .err()
            .unwrap_or_default();
        assert!(text.contains("like 2026-01-15"), "{text}");
        assert!(NextBillDate::parse("", today()).is_err());
        assert!(
            NextBillDate::parse("2030-01-01", today()).is_err(),
            "too far"
        );
    }

    #[test]
    fn a_next_billing_date_keeps_the_time_of_day_and_is_never_before_now() {
        let now = today().and_hms_opt(15, 0, 0).unwrap_or_default().and_utc();
        let current = NaiveDate::from_ymd_opt(2026, 2, 1)
            .and_then(|d| d.and_hms_opt(9, 30, 0))
            .map(|d| d.and_utc());
        let later = NextBillDate::parse("2026-03-01", today()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            later.at(current, now).format("%Y-%m-%d %H:%M").to_string(),
            "2026-03-01 09:30"
        );
        let today_ = NextBillDate::parse("2026-01-15", today()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(today_.at(current, now), now);
    }

    #[test]
    fn a_pause_lasts_until_resumed_or_a_later_day() {
        assert_eq!(PauseUntil::parse(None, today()), Ok(PauseUntil::Resumed));
        assert_eq!(
            PauseUntil::parse(Some("  "), today()),
            Ok(PauseUntil::Resumed)
        );
        assert!(PauseUntil::parse(Some("2026-01-15"), today()).is_err());
        assert!(PauseUntil::parse(Some("2026-02-30"), today()).is_err());
        let until = PauseUntil::parse(Some("2026-02-01"), today()).unwrap_or(PauseUntil::Resumed);
        assert_eq!(
            until.until().map(|u| u.to_rfc3339()),
            Some("2026-02-01T00:00:00+00:00".to_owned())
        );
    }

    #[test]
    fn a_cancelled_subscription_refuses_everything() {
        use SubscriptionStatus as S;
        for action in [
            Action::RestartTrial,
            Action::ChangeOption,
            Action::ChangePrice,
            Action::ChangeNextBill,
            Action::Cancel,
            Action::Pause,
            Action::Resume,
            Action::ForceBill,
        ] {
            assert_eq!(check_action(S::Cancelled, action), Err(Refusal::Cancelled));
        }
        assert_eq!(
            check_action(S::Active, Action::SkipTrial),
            Err(Refusal::NotInTrial)
        );
        assert_eq!(check_action(S::Trial, Action::StopTrial), Ok(()));
        assert_eq!(
            check_action(S::Paused, Action::Pause),
            Err(Refusal::NotPausable("Paused"))
        );
        assert_eq!(
            check_action(S::Active, Action::Resume),
            Err(Refusal::NotPaused)
        );
        assert_eq!(
            check_action(S::Paused, Action::ForceBill),
            Err(Refusal::PausedNoBill)
        );
        assert_eq!(check_action(S::Recycling, Action::ForceBill), Ok(()));
        assert_eq!(check_action(S::Paused, Action::ChangeNextBill), Ok(()));
    }
}
