//! Bulk loading for `recoup generate` and the demo data: many rows per `INSERT` (the VALUES list
//! built by `QueryBuilder::push_values`, every value a bound parameter), ids chosen by the caller
//! so child rows need no round trip, and one connection of its own for the whole load.

mod insert;
mod rows;

use sqlx::pool::PoolConnection;
use sqlx::{Postgres, Sqlite};

use super::{Conn, Db, DbError, Dialect, on_conn};
pub use rows::*;

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
    (
        "order_items",
        "SELECT COALESCE(MAX(id), 0) FROM order_items",
    ),
    (
        "order_notes",
        "SELECT COALESCE(MAX(id), 0) FROM order_notes",
    ),
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
                let _ =
                    on_conn!(self.conn(), c => sqlx::query("ROLLBACK").execute(c).await.map(drop));
                Err(e)
            }
        }
    }

    async fn write_rows(&mut self, b: &Batch, last: &LastIds) -> Result<(), DbError> {
        let mut conn = self.conn();
        insert::customers(&mut conn, &b.customers).await?;
        insert::addresses(&mut conn, &b.addresses).await?;
        insert::payment_methods(&mut conn, &b.payment_methods).await?;
        insert::tokens(&mut conn, &b.tokens).await?;
        insert::blacklist(&mut conn, &b.blacklist).await?;
        insert::orders(&mut conn, &b.orders).await?;
        insert::items(&mut conn, &b.items).await?;
        insert::notes(&mut conn, &b.notes).await?;
        insert::transactions(&mut conn, &b.transactions).await?;
        insert::gateway_sales(&mut conn, &b.gateway_sales).await?;
        insert::subscriptions(&mut conn, &b.subscriptions).await?;
        insert::fulfillments(&mut conn, &b.fulfillments).await?;
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
