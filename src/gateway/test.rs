//! The built-in test gateway (SPEC 4.6): answers by the card table of `domain::test_gateway`
//! (R-TG-1), keeps only a token's scenario and counts (R-TG-2), replays the first answer to a
//! repeated idempotency key and tells the outcome of a key (R-TG-4). Settlement (R-TG-3) is the
//! portal's record of the transaction; the gateway answers at once, after the MID's simulated
//! latency.

use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;

use super::{
    Gateway, GatewayError, Instrument, RefundRequest, Reply, SaleRequest, VoidRequest, random_id,
};
use crate::clock::Clock;
use crate::db::test_gateway::{self as store, Counter, Operation, StoredRequest};
use crate::db::{Db, DbError, Tx};
use crate::domain::ids::MidId;
use crate::domain::mid::Mid;
use crate::domain::money::Money;
use crate::domain::test_gateway::{ChargeResult, Scenario};

pub struct TestGateway {
    db: Db,
    clock: Arc<dyn Clock>,
}

/// A request about to be answered, before its answer is known.
struct Asked<'a> {
    mid: MidId,
    key: &'a str,
    operation: Operation,
    amount: Option<Money>,
}

const UNKNOWN_TOKEN: (&str, &str) = ("14", "invalid card number");
const NO_SUCH_SALE: (&str, &str) = ("12", "invalid transaction");

impl TestGateway {
    pub fn new(db: Db, clock: Arc<dyn Clock>) -> Self {
        Self { db, clock }
    }

    async fn latency(mid: &Mid) {
        if !mid.latency.is_zero() {
            tokio::time::sleep(mid.latency).await;
        }
    }

    /// Opens the transaction that answers `key`, or replays the first answer to it.
    async fn begin(&self, key: &str) -> Result<Begun, GatewayError> {
        let mut tx = self.db.begin().await?;
        match store::find_request(&mut tx, key).await? {
            Some(first) => Ok(Begun::Replay(reply_of(first))),
            None => Ok(Begun::Fresh(tx)),
        }
    }

    /// Stores the answer with the counts `decide` moved, in one transaction.
    async fn finish(
        &self,
        mut tx: Tx,
        asked: Asked<'_>,
        decided: Decided,
    ) -> Result<Reply, GatewayError> {
        let stored = StoredRequest {
            idempotency_key: asked.key.to_owned(),
            mid_id: asked.mid,
            operation: asked.operation,
            token: decided.token,
            amount_minor: asked.amount.map_or(0, |m| m.amount().get()),
            currency: asked
                .amount
                .map_or_else(String::new, |m| m.currency().code().to_owned()),
            result: decided.result,
            code: decided.code.to_owned(),
            text: decided.text.to_owned(),
            advice_code: decided.advice_code.map(str::to_owned),
            reference: random_id("tg")?,
            parent_reference: decided.parent_reference,
        };
        match store::insert_request(&mut tx, &stored, self.clock.now()).await {
            Ok(()) => {
                tx.commit().await?;
                Ok(reply_of(stored))
            }
            // PostgreSQL: a concurrent request with the same key answered first; its answer
            // stands and this one moved nothing (its transaction is rolled back).
            Err(e @ DbError::Unique { .. }) => {
                drop(tx);
                store::find_request(&self.db, asked.key)
                    .await?
                    .map(reply_of)
                    .ok_or(GatewayError::Storage(e))
            }
            Err(e) => Err(e.into()),
        }
    }
}

enum Begun {
    Replay(Reply),
    Fresh(Tx),
}

macro_rules! fresh {
    ($self:ident, $key:expr) => {
        match $self.begin($key).await? {
            Begun::Replay(reply) => return Ok(reply),
            Begun::Fresh(tx) => tx,
        }
    };
}

/// What a request was answered, before it is stored.
struct Decided {
    token: String,
    result: ChargeResult,
    code: &'static str,
    text: &'static str,
    advice_code: Option<&'static str>,
    parent_reference: Option<String>,
}

impl Decided {
    fn plain(token: String, (code, text): (&'static str, &'static str)) -> Self {
        Self {
            token,
            result: ChargeResult::Declined,
            code,
            text,
            advice_code: None,
            parent_reference: None,
        }
    }
}

fn reply_of(stored: StoredRequest) -> Reply {
    let token = (stored.operation == Operation::Sale).then_some(stored.token);
    Reply {
        result: stored.result,
        code: stored.code,
        text: stored.text,
        advice_code: stored.advice_code,
        reference: stored.reference,
        token,
    }
}

impl Gateway for TestGateway {
    fn sale<'a>(&'a self, request: SaleRequest<'a>) -> BoxFuture<'a, Result<Reply, GatewayError>> {
        async move {
            Self::latency(request.mid).await;
            let now = self.clock.now();
            let asked = Asked {
                mid: request.mid.id,
                key: request.key,
                operation: Operation::Sale,
                amount: Some(request.amount),
            };
            let mut tx = fresh!(self, request.key);
            // A card seen now is issued a token with this charge counted; a token is counted.
            let counted = match request.instrument {
                Instrument::Card { number, .. } => {
                    let token = random_id("tok")?;
                    let scenario = Scenario::of(number);
                    store::insert_token(&mut tx, &token, scenario, now).await?;
                    Some((token, scenario, 0))
                }
                Instrument::Token(token) => store::count(&mut tx, token, Counter::Charges)
                    .await?
                    .map(|(scenario, earlier)| (token.to_owned(), scenario, earlier)),
            };
            let decided = match counted {
                None => {
                    let token = match request.instrument {
                        Instrument::Token(token) => token.to_owned(),
                        Instrument::Card { .. } => String::new(),
                    };
                    Decided::plain(token, UNKNOWN_TOKEN)
                }
                Some((token, scenario, earlier)) => {
                    let answer = scenario.sale(request.amount, earlier);
                    Decided {
                        token,
                        result: answer.result,
                        code: answer.code,
                        text: answer.text,
                        advice_code: answer.advice_code,
                        parent_reference: None,
                    }
                }
            };
            self.finish(tx, asked, decided).await
        }
        .boxed()
    }

    fn refund<'a>(
        &'a self,
        request: RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<Reply, GatewayError>> {
        async move {
            Self::latency(request.mid).await;
            let asked = Asked {
                mid: request.mid.id,
                key: request.key,
                operation: Operation::Refund,
                amount: Some(request.amount),
            };
            let mut tx = fresh!(self, request.key);
            let parent_reference = Some(request.reference.to_owned());
            let sale = store::find_by_reference(&mut tx, request.reference)
                .await?
                .filter(|s| s.operation == Operation::Sale && s.result == ChargeResult::Approved);
            let decided = match sale {
                None => Decided::plain(String::new(), NO_SUCH_SALE),
                Some(sale) => {
                    match store::count(&mut tx, &sale.token, Counter::RefundAttempts).await? {
                        None => Decided::plain(sale.token, UNKNOWN_TOKEN),
                        Some((scenario, earlier)) => {
                            let answer = scenario.refund(earlier);
                            Decided {
                                token: sale.token,
                                result: answer.result,
                                code: answer.code,
                                text: answer.text,
                                advice_code: None,
                                parent_reference: None,
                            }
                        }
                    }
                }
            };
            let decided = Decided {
                parent_reference,
                ..decided
            };
            self.finish(tx, asked, decided).await
        }
        .boxed()
    }

    fn void<'a>(&'a self, request: VoidRequest<'a>) -> BoxFuture<'a, Result<Reply, GatewayError>> {
        async move {
            Self::latency(request.mid).await;
            let asked = Asked {
                mid: request.mid.id,
                key: request.key,
                operation: Operation::Void,
                amount: None,
            };
            let mut tx = fresh!(self, request.key);
            let parent_reference = Some(request.reference.to_owned());
            let sale = store::find_by_reference(&mut tx, request.reference)
                .await?
                .filter(|s| s.operation == Operation::Sale && s.result == ChargeResult::Approved);
            // A sale refunded or voided already cannot be voided.
            let reversed = match &sale {
                Some(_) => !store::reversals_of(&mut tx, request.reference)
                    .await?
                    .is_empty(),
                None => true,
            };
            let token = sale.map(|s| s.token).unwrap_or_default();
            let decided = if reversed {
                Decided::plain(token, NO_SUCH_SALE)
            } else {
                Decided {
                    token,
                    result: ChargeResult::Approved,
                    code: "00",
                    text: "voided",
                    advice_code: None,
                    parent_reference: None,
                }
            };
            let decided = Decided {
                parent_reference,
                ..decided
            };
            self.finish(tx, asked, decided).await
        }
        .boxed()
    }

    fn outcome<'a>(
        &'a self,
        _mid: &'a Mid,
        key: &'a str,
    ) -> BoxFuture<'a, Result<Option<Reply>, GatewayError>> {
        async move { Ok(store::find_request(&self.db, key).await?.map(reply_of)) }.boxed()
    }
}
