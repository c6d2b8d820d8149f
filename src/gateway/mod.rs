//! The gateway boundary: what Recoup asks of a payment gateway (a sale, a refund, a void, and
//! the outcome of an idempotency key after a crash: R-TG-4, R-EN-6), one trait for every
//! provider. The built-in test gateway (SPEC 4.6) is the first implementation; the partners'
//! connectors (FlexPay, FlexFactor, FlexEcom) arrive with the salvage engine behind the same
//! trait, and the sale code does not change when they do.

mod test;

use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::clock::Clock;
use crate::db::{Db, DbError};
use crate::domain::card::{CardNumber, Expiry};
use crate::domain::decline::GatewayResponse;
use crate::domain::mid::Mid;
use crate::domain::money::Money;
use crate::domain::order::Cvv;
use crate::domain::payment::TransactionResult;
use crate::domain::provider::Provider;
use crate::domain::test_gateway::ChargeResult;

pub use test::TestGateway;

/// What pays: a card typed now (its number and CVV go to the gateway and nowhere else), or the
/// token the gateway gave for it earlier.
#[derive(Debug, Clone, Copy)]
pub enum Instrument<'a> {
    Card {
        number: &'a CardNumber,
        expiry: Expiry,
        cvv: &'a Cvv,
    },
    Token(&'a str),
}

/// A charge: `amount` on `mid`, once per `key` whatever is retried.
#[derive(Debug, Clone, Copy)]
pub struct SaleRequest<'a> {
    pub mid: &'a Mid,
    pub key: &'a str,
    pub amount: Money,
    pub instrument: Instrument<'a>,
}

/// A refund of part or all of the sale the gateway knows as `reference`.
#[derive(Debug, Clone, Copy)]
pub struct RefundRequest<'a> {
    pub mid: &'a Mid,
    pub key: &'a str,
    pub amount: Money,
    pub reference: &'a str,
}

/// A void of the whole sale `reference`.
#[derive(Debug, Clone, Copy)]
pub struct VoidRequest<'a> {
    pub mid: &'a Mid,
    pub key: &'a str,
    pub reference: &'a str,
}

/// A gateway's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub result: ChargeResult,
    pub code: String,
    pub text: String,
    /// Mastercard's merchant advice code on a decline, when given.
    pub advice_code: Option<String>,
    /// The gateway's id of this request, which refunds and voids name.
    pub reference: String,
    /// The card's token, on a sale.
    pub token: Option<String>,
}

impl Reply {
    /// The answer as `classify()` reads it.
    pub fn response(&self, provider: Provider) -> GatewayResponse<'_> {
        GatewayResponse {
            provider: Some(provider),
            code: &self.code,
            text: &self.text,
            advice_code: self.advice_code.as_deref(),
        }
    }

    pub fn result(&self) -> TransactionResult {
        self.result.into()
    }

    pub fn approved(&self) -> bool {
        self.result == ChargeResult::Approved
    }
}

/// A gateway that could not be asked or did not answer: whether money moved is unknown until
/// its outcome is asked for the same key.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("no connector for {} yet", .0.label())]
    NoConnector(Provider),
    #[error("the gateway's storage failed: {0}")]
    Storage(#[from] DbError),
    #[error("could not generate a reference: {0}")]
    Random(String),
}

/// What every gateway does. Every call carries an idempotency key: the same key answers the
/// first answer again and moves no more money.
pub trait Gateway: Send + Sync {
    fn sale<'a>(&'a self, request: SaleRequest<'a>) -> BoxFuture<'a, Result<Reply, GatewayError>>;
    fn refund<'a>(
        &'a self,
        request: RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<Reply, GatewayError>>;
    fn void<'a>(&'a self, request: VoidRequest<'a>) -> BoxFuture<'a, Result<Reply, GatewayError>>;
    /// The answer given to `key`, or `None` when the gateway never saw it.
    fn outcome<'a>(
        &'a self,
        mid: &'a Mid,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Reply>, GatewayError>>;
}

/// The gateways of every provider, picked by a MID's provider.
#[derive(Clone)]
pub struct Gateways {
    test: Arc<TestGateway>,
}

impl Gateways {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self {
            test: Arc::new(TestGateway::new(db, clock)),
        }
    }

    /// The gateway behind `mid`, or why there is none.
    pub fn for_mid(&self, mid: &Mid) -> Result<&dyn Gateway, GatewayError> {
        match mid.provider {
            Provider::Test => Ok(self.test.as_ref()),
            other => Err(GatewayError::NoConnector(other)),
        }
    }
}

/// A fresh random reference or token with `prefix`.
fn random_id(prefix: &str) -> Result<String, GatewayError> {
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| GatewayError::Random(e.to_string()))?;
    Ok(format!("{prefix}_{}", hex::encode(bytes)))
}
