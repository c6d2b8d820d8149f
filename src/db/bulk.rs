//! Bulk loading for `recoup generate` and the demo data: many rows per `INSERT` (the VALUES list
//! built by `QueryBuilder::push_values`, every value a bound parameter), ids chosen by the caller
//! so child rows need no round trip, and one connection of its own for the whole load.

use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Postgres, QueryBuilder, Sqlite};

use super::{Conn, Db, DbError, Dialect, on_conn};
use crate::domain::card::{Brand, CardType};
use crate::domain::decline::DeclineClass;
use crate::domain::money::Currency;
use crate::domain::order::{FulfillmentStatus, OrderKind, OrderStatus, SubscriptionStatus};
use crate::domain::payment::{TransactionKind, TransactionResult};
use crate::domain::test_gateway::{ChargeResult, Scenario};

/// Bound parameters per statement: under SQLite's 32766 and PostgreSQL's 65535.
const SQLITE_PARAMS: usize = 32_000;
const POSTGRES_PARAMS: usize = 65_000;

pub struct CustomerRow {
    pub id: i64,
    pub first_name: &'static str,
    pub last_name: &'static str,
    pub email: String,
    pub phone: String,
    pub blacklisted: bool,
    pub created_at: DateTime<Utc>,
}

pub struct AddressRow {
    pub customer_id: i64,
    /// `billing` or `shipping`.
    pub kind: &'static str,
    pub line1: String,
    pub line2: String,
    pub city: &'static str,
    pub state: &'static str,
    pub postal_code: String,
    pub country: &'static str,
}

pub struct PaymentMethodRow {
    pub id: i64,
    pub customer_id: i64,
    pub token: String,
    pub brand: Brand,
    pub card_type: CardType,
    pub first6: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub fingerprint: String,
    pub created_at: DateTime<Utc>,
}

/// The test gateway's vault entry for a token: its scenario and how many charges it has seen.
pub struct TokenRow {
    pub token: String,
    pub scenario: Scenario,
    pub charges: i64,
    pub created_at: DateTime<Utc>,
}

pub struct BlacklistRow {
    pub id: i64,
    pub customer_id: i64,
    pub value: String,
    pub reason: &'static str,
    pub created_at: DateTime<Utc>,
}

pub struct OrderRow {
    pub id: i64,
    pub customer_id: i64,
    pub campaign_id: i64,
    pub parent_order_id: Option<i64>,
    pub payment_method_id: Option<i64>,
    pub mid_id: Option<i64>,
    pub kind: OrderKind,
    pub status: OrderStatus,
    pub currency: Currency,
    pub total_minor: i64,
    pub ip_address: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub struct ItemRow {
    pub id: i64,
    pub order_id: i64,
    pub product_id: i64,
    pub product_name: String,
    pub option_name: Option<String>,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub price_minor: i64,
    pub charged_minor: i64,
    pub trial: bool,
}

pub struct NoteRow {
    pub id: i64,
    pub order_id: i64,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

pub struct TransactionRow {
    pub id: i64,
    pub order_id: i64,
    pub mid_id: i64,
    pub payment_method_id: i64,
    pub kind: TransactionKind,
    pub amount_minor: i64,
    pub currency: Currency,
    pub result: TransactionResult,
    pub response_code: &'static str,
    pub response_text: &'static str,
    pub decline_class: Option<DeclineClass>,
    pub gateway_reference: String,
    pub idempotency_key: String,
    pub settled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A sale as the test gateway recorded it (operation `sale`).
pub struct GatewaySaleRow {
    pub idempotency_key: String,
    pub mid_id: i64,
    pub token: String,
    pub amount_minor: i64,
    pub currency: Currency,
    pub result: ChargeResult,
    pub response_code: &'static str,
    pub response_text: &'static str,
    pub advice_code: Option<&'static str>,
    pub reference: String,
    pub created_at: DateTime<Utc>,
}

pub struct SubscriptionRow {
    pub id: i64,
    pub order_id: i64,
    pub order_item_id: i64,
    pub customer_id: i64,
    pub product_id: i64,
    pub mid_id: i64,
    pub payment_method_id: i64,
    pub status: SubscriptionStatus,
    pub option_name: Option<String>,
    pub quantity: i64,
    pub unit_price_minor: i64,
    pub price_minor: i64,
    pub currency: Currency,
    pub cycle_days: i64,
    pub next_bill_at: Option<DateTime<Utc>>,
    pub paused_until: Option<DateTime<Utc>>,
    pub cancel_reason: Option<&'static str>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct FulfillmentRow {
    pub id: i64,
    pub order_id: i64,
    pub order_item_id: i64,
    pub status: FulfillmentStatus,
    pub tracking_number: Option<String>,
    pub reason: &'static str,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Rows to write together, in one transaction.
#[derive(Default)]
pub struct Batch {
    pub customers: Vec<CustomerRow>,
    pub addresses: Vec<AddressRow>,
    pub payment_methods: Vec<PaymentMethodRow>,
    pub tokens: Vec<TokenRow>,
    pub blacklist: Vec<BlacklistRow>,
    pub orders: Vec<OrderRow>,
    pub items: Vec<ItemRow>,
    pub notes: Vec<NoteRow>,
    pub transactions: Vec<TransactionRow>,
    pub gateway_sales: Vec<GatewaySaleRow>,
    pub subscriptions: Vec<SubscriptionRow>,
    pub fulfillments: Vec<FulfillmentRow>,
}

/// The tables a batch writes, in the order they are written.
pub const TABLES: [&str; 12] = [
    "customers",
    "customer_addresses",
    "payment_methods",
    "test_gateway_tokens",
    "blacklist",
    "orders",
    "order_items",
    "order_notes",
    "transactions",
    "test_gateway_requests",
    "subscriptions",
    "fulfillments",
];

impl Batch {
    /// Rows per table, in the order of [`TABLES`].
    pub fn counts(&self) -> [usize; 12] {
        [
            self.customers.len(),
            self.addresses.len(),
            self.payment_methods.len(),
            self.tokens.len(),
            self.blacklist.len(),
            self.orders.len(),
            self.items.len(),
            self.notes.len(),
            self.transactions.len(),
            self.gateway_sales.len(),
            self.subscriptions.len(),
            self.fulfillments.len(),
        ]
    }

    pub fn rows(&self) -> usize {
        self.counts().iter().sum()
    }
}

/// The largest id of each table the generator assigns ids in (0 for an empty table).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LastIds {
    pub customers: i64,
    pub payment_methods: i64,
    pub blacklist: i64,
    pub orders: i64,
    pub order_items: i64,
    pub order_notes: i64,
    pub transactions: i64,
    pub subscriptions: i64,
    pub fulfillments: i64,
}

/// The tables whose ids the generator assigns, with the statement reading their largest id.
const ID_TABLES: [(&str, &str); 9] = [
    ("customers", "SELECT COALESCE(MAX(id), 0) FROM customers"),
    (
        "payment_methods",
        "SELECT COALESCE(MAX(id), 0) FROM payment_methods",
    ),
    ("blacklist", "SELECT COALESCE(MAX(id), 0) FROM blacklist"),
    ("orders", "SELECT COALESCE(MAX(id), 0) FROM orders"),
    ("order_items", "SELECT COALESCE(MAX(id), 0) FROM order_items"),
    ("order_notes", "SELECT COALESCE(MAX(id), 0) FROM order_notes"),
    (
        "transactions",
        "SELECT COALESCE(MAX(id), 0) FROM transactions",
    ),
    (
        "subscriptions",
        "SELECT COALESCE(MAX(id), 0) FROM subscriptions",
    ),
    (
        "fulfillments",
        "SELECT COALESCE(MAX(id), 0) FROM fulfillments",
    ),
];

impl LastIds {
    fn in_order(&self) -> [i64; 9] {
        [
            self.customers,
            self.payment_methods,
            self.blacklist,
            self.orders,
            self.order_items,
            self.order_notes,
            self.transactions,
            self.subscriptions,
            self.fulfillments,
        ]
    }
}

/// One connection of the pool, held for a whole load: batches run on it one transaction each.
/// On SQLite it writes with `synchronous = OFF` (a crash may lose the last batches, never
/// corrupt the file in WAL mode), a 256 MB page cache and no foreign key checks; it is closed
/// afterwards, never handed back to the pool with those set.
pub enum Loader {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Loader {
    pub async fn open(db: &Db) -> Result<Self, DbError> {
        Ok(match db {
            Db::Sqlite(pool) => {
                let mut conn = pool.acquire().await?;
                sqlx::query("PRAGMA synchronous = OFF")
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("PRAGMA cache_size = -262144")
                    .execute(&mut *conn)
                    .await?;
                // The loader writes only rows it made, whose references it chose: checking
                // each one against its parent costs a quarter of the load's time. The tests
                // run `PRAGMA foreign_key_check` after a load; PostgreSQL checks every row.
                sqlx::query("PRAGMA foreign_keys = OFF")
                    .execute(&mut *conn)
                    .await?;
                Loader::Sqlite(conn)
            }
            Db::Postgres(pool) => {
                let mut conn = pool.acquire().await?;
                // Commits need not wait for the disk: a crash loses the last batches only.
                sqlx::query("SET synchronous_commit = off")
                    .execute(&mut *conn)
                    .await?;
                Loader::Postgres(conn)
            }
        })
    }

    pub fn conn(&mut self) -> Conn<'_> {
        match self {
            Loader::Sqlite(conn) => Conn::SqliteTx(&mut *conn),
            Loader::Postgres(conn) => Conn::PgTx(&mut *conn),
        }
    }

    /// Closes the connection instead of returning it to the pool with the load's settings.
    pub async fn close(self) -> Result<(), DbError> {
        use sqlx::Connection;
        match self {
            Loader::Sqlite(conn) => conn.detach().close().await?,
            Loader::Postgres(conn) => conn.detach().close().await?,
        }
        Ok(())
    }

    /// The largest id of each table the load assigns ids in.
    pub async fn last_ids(&mut self) -> Result<LastIds, DbError> {
        let mut found = [0i64; 9];
        for (slot, (_, sql)) in found.iter_mut().zip(ID_TABLES) {
            *slot = on_conn!(self.conn(), c => sqlx::query_scalar(sql).fetch_one(c).await)?;
        }
        let [
            customers,
            payment_methods,
            blacklist,
            orders,
            order_items,
            order_notes,
            transactions,
            subscriptions,
            fulfillments,
        ] = found;
        Ok(LastIds {
            customers,
            payment_methods,
            blacklist,
            orders,
            order_items,
            order_notes,
            transactions,
            subscriptions,
            fulfillments,
        })
    }

    /// Writes `batch` in one transaction and, on PostgreSQL, moves each identity past the ids
    /// it used (`last`), so rows added later by the portal get fresh ids.
    pub async fn write(&mut self, batch: &Batch, last: &LastIds) -> Result<(), DbError> {
        let begin = match self.conn().dialect() {
            Dialect::Sqlite => "BEGIN IMMEDIATE",
            Dialect::Postgres => "BEGIN",
        };
        on_conn!(self.conn(), c => sqlx::query(begin).execute(c).await.map(drop))?;
        match self.write_rows(batch, last).await {
            Ok(()) => {
                on_conn!(self.conn(), c => sqlx::query("COMMIT").execute(c).await.map(drop))?;
                Ok(())
            }
            Err(e) => {
                // The write failed; the rollback's own error would hide why.
                let _ = on_conn!(self.conn(), c => sqlx::query("ROLLBACK").execute(c).await.map(drop));
                Err(e)
            }
        }
    }

    async fn write_rows(&mut self, b: &Batch, last: &LastIds) -> Result<(), DbError> {
        let mut conn = self.conn();
        insert_customers(&mut conn, &b.customers).await?;
        insert_addresses(&mut conn, &b.addresses).await?;
        insert_payment_methods(&mut conn, &b.payment_methods).await?;
        insert_tokens(&mut conn, &b.tokens).await?;
        insert_blacklist(&mut conn, &b.blacklist).await?;
        insert_orders(&mut conn, &b.orders).await?;
        insert_items(&mut conn, &b.items).await?;
        insert_notes(&mut conn, &b.notes).await?;
        insert_transactions(&mut conn, &b.transactions).await?;
        insert_gateway_sales(&mut conn, &b.gateway_sales).await?;
        insert_subscriptions(&mut conn, &b.subscriptions).await?;
        insert_fulfillments(&mut conn, &b.fulfillments).await?;
        if conn.dialect() == Dialect::Postgres {
            const SQL: &str = "SELECT setval(pg_get_serial_sequence($1, 'id'), $2)";
            for ((table, _), id) in ID_TABLES.iter().zip(last.in_order()) {
                if id > 0 {
                    on_conn!(conn.reborrow(), c => sqlx::query(SQL).bind(*table).bind(id).execute(c).await.map(drop))?;
                }
            }
        }
        Ok(())
    }
}

/// Runs one multi-row `INSERT` per chunk of `$rows`: `$head` is the statement up to `VALUES`
/// for each backend (PostgreSQL's identity columns take given ids only with `OVERRIDING SYSTEM
/// VALUE`), and `$bind` binds one row's columns, `$columns` of them.
macro_rules! insert_rows {
    ($conn:expr, $rows:expr, $columns:expr, ($sqlite:expr, $postgres:expr), |$b:ident, $r:ident| $bind:block) => {{
        let conn: &mut Conn<'_> = $conn;
        let (head, limit) = match conn.dialect() {
            Dialect::Sqlite => ($sqlite, SQLITE_PARAMS),
            Dialect::Postgres => ($postgres, POSTGRES_PARAMS),
        };
        for chunk in $rows.chunks(limit / $columns) {
            on_conn!(conn.reborrow(), c => {
                let mut query = QueryBuilder::new(head);
                query.push_values(chunk, |mut $b, $r| $bind);
                query.build().execute(c).await.map(drop)
            })?;
        }
        Ok::<(), DbError>(())
    }};
}

async fn insert_customers(conn: &mut Conn<'_>, rows: &[CustomerRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, first_name, last_name, email, phone, blacklisted, created_at, updated_at) ";
    insert_rows!(conn, rows, 8, (
        const_format::concatcp!("INSERT INTO customers ", COLUMNS),
        const_format::concatcp!("INSERT INTO customers ", COLUMNS, "OVERRIDING SYSTEM VALUE ")
    ), |b, r| {
        b.push_bind(r.id).push_bind(r.first_name).push_bind(r.last_name).push_bind(&r.email)
            .push_bind(&r.phone).push_bind(r.blacklisted).push_bind(r.created_at).push_bind(r.created_at);
    })
}

async fn insert_addresses(conn: &mut Conn<'_>, rows: &[AddressRow]) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO customer_addresses (customer_id, kind, line1, line2, city, state, postal_code, country) ";
    insert_rows!(conn, rows, 8, (SQL, SQL), |b, r| {
        b.push_bind(r.customer_id).push_bind(r.kind).push_bind(&r.line1).push_bind(&r.line2)
            .push_bind(r.city).push_bind(r.state).push_bind(&r.postal_code).push_bind(r.country);
    })
}

async fn insert_payment_methods(
    conn: &mut Conn<'_>,
    rows: &[PaymentMethodRow],
) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, customer_id, provider, token, brand, card_type, first6, last4, exp_month, exp_year, \
         fingerprint, created_at) ";
    insert_rows!(conn, rows, 12, (
        const_format::concatcp!("INSERT INTO payment_methods ", COLUMNS),
        const_format::concatcp!("INSERT INTO payment_methods ", COLUMNS, "OVERRIDING SYSTEM VALUE ")
    ), |b, r| {
        b.push_bind(r.id).push_bind(r.customer_id).push_bind("test").push_bind(&r.token)
            .push_bind(r.brand.key()).push_bind(r.card_type.key()).push_bind(&r.first6)
            .push_bind(&r.last4).push_bind(r.exp_month).push_bind(r.exp_year)
            .push_bind(&r.fingerprint).push_bind(r.created_at);
    })
}

async fn insert_tokens(conn: &mut Conn<'_>, rows: &[TokenRow]) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO test_gateway_tokens (token, scenario, charges, refund_attempts, created_at) ";
    insert_rows!(conn, rows, 4, (SQL, SQL), |b, r| {
        b.push_bind(&r.token).push_bind(r.scenario.key()).push_bind(r.charges)
            .push_unseparated(", 0").push_bind(r.created_at);
    })
}

async fn insert_blacklist(conn: &mut Conn<'_>, rows: &[BlacklistRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, customer_id, kind, value, reason, created_at) ";
    insert_rows!(conn, rows, 5, (
        const_format::concatcp!("INSERT INTO blacklist ", COLUMNS),
        const_format::concatcp!("INSERT INTO blacklist ", COLUMNS, "OVERRIDING SYSTEM VALUE ")
    ), |b, r| {
        b.push_bind(r.id).push_bind(r.customer_id).push_unseparated(", 'email'")
            .push_bind(&r.value).push_bind(r.reason).push_bind(r.created_at);
    })
}

async fn insert_orders(conn: &mut Conn<'_>, rows: &[OrderRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, customer_id, campaign_id, parent_order_id, payment_method_id, mid_id, kind, status, \
         currency, total_minor, ip_address, created_at, updated_at) ";
    insert_rows!(conn, rows, 13, (
        const_format::concatcp!("INSERT INTO orders ", COLUMNS),
        const_format::concatcp!("INSERT INTO orders ", COLUMNS, "OVERRIDING SYSTEM VALUE ")
    ), |b, r| {
        b.push_bind(r.id).push_bind(r.customer_id).push_bind(r.campaign_id)
            .push_bind(r.parent_order_id).push_bind(r.payment_method_id).push_bind(r.mid_id)
            .push_bind(r.kind.key()).push_bind(r.status.key()).push_bind(r.currency.code())
            .push_bind(r.total_minor).push_bind(&r.ip_address).push_bind(r.created_at)
            .push_bind(r.created_at);
    })
}

async fn insert_items(conn: &mut Conn<'_>, rows: &[ItemRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, order_id, product_id, product_name, option_name, quantity, unit_price_minor, \
         price_minor, charged_minor, trial) ";
    insert_rows!(conn, rows, 10, (
        const_format::concatcp!("INSERT INTO order_items ", COLUMNS),
        const_format::concatcp!("INSERT INTO order_items ", COLUMNS, "OVERRIDING SYSTEM VALUE ")
    ), |b, r| {
        b.push_bind(r.id).push_bind(r.order_id).push_bind(r.product_id).push_bind(&r.product_name)
            .push_bind(&r.option_name).push_bind(r.quantity).push_bind(r.unit_price_minor)
            .push_bind(r.price_minor).push_bind(r.charged_minor).push_bind(r.trial);
    })
}

async fn insert_notes(conn: &mut Conn<'_>, rows: &[NoteRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, order_id, body, created_at) ";
    insert_rows!(conn, rows, 4, (
        const_format::concatcp!("INSERT INTO order_notes ", COLUMNS),
        const_format::concatcp!("INSERT INTO order_notes ", COLUMNS, "OVERRIDING SYSTEM VALUE ")
    ), |b, r| {
        b.push_bind(r.id).push_bind(r.order_id).push_bind(&r.body).push_bind(r.created_at);
    })
}

async fn insert_transactions(conn: &mut Conn<'_>, rows: &[TransactionRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, order_id, mid_id, payment_method_id, kind, amount_minor, currency, result, \
         response_code, response_text, decline_class, gateway_reference, idempotency_key, settled_at, created_at) ";
    insert_rows!(conn, rows, 15, (
        const_format::concatcp!("INSERT INTO transactions ", COLUMNS),
        const_format::concatcp!("INSERT INTO transactions ", COLUMNS, "OVERRIDING SYSTEM VALUE ")
    ), |b, r| {
        b.push_bind(r.id).push_bind(r.order_id).push_bind(r.mid_id).push_bind(r.payment_method_id)
            .push_bind(r.kind.key()).push_bind(r.amount_minor).push_bind(r.currency.code())
            .push_bind(r.result.key()).push_bind(r.response_code).push_bind(r.response_text)
            .push_bind(r.decline_class.map(DeclineClass::key)).push_bind(&r.gateway_reference)
            .push_bind(&r.idempotency_key).push_bind(r.settled_at).push_bind(r.created_at);
    })
}

async fn insert_gateway_sales(conn: &mut Conn<'_>, rows: &[GatewaySaleRow]) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO test_gateway_requests (idempotency_key, mid_id, operation, token, amount_minor, \
         currency, result, response_code, response_text, advice_code, reference, created_at) ";
    insert_rows!(conn, rows, 11, (SQL, SQL), |b, r| {
        let result: &'static str = r.result.into();
        b.push_bind(&r.idempotency_key).push_bind(r.mid_id).push_unseparated(", 'sale'")
            .push_bind(&r.token).push_bind(r.amount_minor).push_bind(r.currency.code())
            .push_bind(result).push_bind(r.response_code).push_bind(r.response_text)
            .push_bind(r.advice_code).push_bind(&r.reference).push_bind(r.created_at);
    })
}

async fn insert_subscriptions(
    conn: &mut Conn<'_>,
    rows: &[SubscriptionRow],
) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, order_id, order_item_id, customer_id, product_id, mid_id, payment_method_id, status, \
         option_name, quantity, unit_price_minor, price_minor, currency, cycle_days, next_bill_at, paused_until, \
         cancel_reason, created_at, updated_at) ";
    insert_rows!(conn, rows, 19, (
        const_format::concatcp!("INSERT INTO subscriptions ", COLUMNS),
        const_format::concatcp!("INSERT INTO subscriptions ", COLUMNS, "OVERRIDING SYSTEM VALUE ")
    ), |b, r| {
        b.push_bind(r.id).push_bind(r.order_id).push_bind(r.order_item_id).push_bind(r.customer_id)
            .push_bind(r.product_id).push_bind(r.mid_id).push_bind(r.payment_method_id)
            .push_bind(r.status.key()).push_bind(&r.option_name).push_bind(r.quantity)
            .push_bind(r.unit_price_minor).push_bind(r.price_minor).push_bind(r.currency.code())
            .push_bind(r.cycle_days).push_bind(r.next_bill_at).push_bind(r.paused_until)
            .push_bind(r.cancel_reason).push_bind(r.created_at).push_bind(r.updated_at);
    })
}

async fn insert_fulfillments(conn: &mut Conn<'_>, rows: &[FulfillmentRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, order_id, order_item_id, status, tracking_number, reason, created_at, updated_at) ";
    insert_rows!(conn, rows, 8, (
        const_format::concatcp!("INSERT INTO fulfillments ", COLUMNS),
        const_format::concatcp!("INSERT INTO fulfillments ", COLUMNS, "OVERRIDING SYSTEM VALUE ")
    ), |b, r| {
        b.push_bind(r.id).push_bind(r.order_id).push_bind(r.order_item_id).push_bind(r.status.key())
            .push_bind(&r.tracking_number).push_bind(r.reason).push_bind(r.created_at)
            .push_bind(r.updated_at);
    })
}
