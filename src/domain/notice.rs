//! The words of the emails the portal sends a customer about their money: refund and void
//! confirmations. (Welcome emails are the campaign's own template.)

use super::ids::OrderId;
use super::money::Money;
use super::payment::TransactionKind;

/// An email's subject and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub subject: String,
    pub body: String,
}

/// The outbox kind of a reversal's confirmation: `void` for a void, `refund` otherwise.
pub fn reversal_kind(kind: TransactionKind) -> &'static str {
    match kind {
        TransactionKind::Void => "void",
        _ => "refund",
    }
}

/// The confirmation of an approved refund or void.
pub fn reversal_confirmation(
    kind: TransactionKind,
    first_name: &str,
    order: OrderId,
    amount: Money,
) -> Notice {
    match kind {
        TransactionKind::Void => Notice {
            subject: format!("Your charge of {amount} for order #{order} was cancelled"),
            body: format!(
                "Hello {first_name},\n\nThe charge of {amount} for your order #{order} was cancelled \
                 before it settled, so it will not appear on your statement (a pending charge \
                 disappears within a few days, as your bank releases it).\n\nThank you."
            ),
        },
        _ => Notice {
            subject: format!("Your refund of {amount} for order #{order}"),
            body: format!(
                "Hello {first_name},\n\nWe refunded {amount} for your order #{order} to the card \
                 you paid with. Depending on your bank it reaches your account within 5 to 10 \
                 business days.\n\nThank you."
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::{Currency, MinorUnits};

    #[test]
    fn a_confirmation_names_the_amount_and_the_order() {
        let amount = Money::new(MinorUnits::from_minor(1250), Currency::Usd);
        let refund = reversal_confirmation(TransactionKind::Refund, "Ann", OrderId(7), amount);
        assert!(refund.subject.contains("refund of"), "{}", refund.subject);
        assert!(refund.subject.contains("#7"));
        assert!(refund.body.starts_with("Hello Ann,"));
        let void = reversal_confirmation(TransactionKind::Void, "Ann", OrderId(7), amount);
        assert!(void.subject.contains("cancelled"));
        assert_eq!(reversal_kind(TransactionKind::Void), "void");
        assert_eq!(reversal_kind(TransactionKind::Refund), "refund");
    }
}
