//! Persistence: sqlx only. One code path for SQLite and PostgreSQL: every query is written once
//! with `$n` placeholders and run on whichever pool `DATABASE_URL` chose.

pub mod api_keys;
pub mod api_requests;
pub mod bins;
pub mod bulk;
pub mod catalogue;
pub mod customers;
pub mod decline_mappings;
pub mod events;
pub mod history;
pub mod jobs;
pub mod login_attempts;
pub mod mids;
pub mod order_actions;
pub mod orders;
pub mod outbox;
pub mod profiles;
pub mod reasons;
pub mod recycle;
pub mod refund_queue;
pub mod roles;
pub mod sessions;
pub mod subscriptions;
pub mod test_gateway;
pub mod users;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// Runs `$body` with `$exec` bound to whatever `$conn` (a [`Conn`], consumed) holds: a pool or a
/// transaction's connection, on either backend. The one place that dispatches per backend.
macro_rules! on_conn {
    ($conn:expr, $exec:ident => $body:expr) => {
        match $conn {
            $crate::db::Conn::SqlitePool($exec) => $body,
            $crate::db::Conn::PgPool($exec) => $body,
            $crate::db::Conn::SqliteTx($exec) => $body,
            $crate::db::Conn::PgTx($exec) => $body,
        }
    };
}

pub(crate) use on_conn;

/// Where a query runs: the pool, or an open transaction. Every query function takes
/// `impl Into<Conn>`, so `&db` and `&mut tx` both work and no query is written twice.
pub enum Conn<'c> {
    SqlitePool(&'c SqlitePool),
    PgPool(&'c PgPool),
    SqliteTx(&'c mut sqlx::SqliteConnection),
    PgTx(&'c mut sqlx::PgConnection),
}

impl Conn<'_> {
    pub fn dialect(&self) -> Dialect {
        match self {
            Conn::SqlitePool(_) | Conn::SqliteTx(_) => Dialect::Sqlite,
            Conn::PgPool(_) | Conn::PgTx(_) => Dialect::Postgres,
        }
    }

    /// A shorter-lived `Conn` on the same pool or transaction, for a second query.
    pub fn reborrow(&mut self) -> Conn<'_> {
        match self {
            Conn::SqlitePool(pool) => Conn::SqlitePool(pool),
            Conn::PgPool(pool) => Conn::PgPool(pool),
            Conn::SqliteTx(conn) => Conn::SqliteTx(conn),
            Conn::PgTx(conn) => Conn::PgTx(conn),
        }
    }
}

impl<'c> From<&'c Db> for Conn<'c> {
    fn from(db: &'c Db) -> Self {
        match db {
            Db::Sqlite(pool) => Conn::SqlitePool(pool),
            Db::Postgres(pool) => Conn::PgPool(pool),
        }
    }
}

impl<'c> From<&'c mut Tx> for Conn<'c> {
    fn from(tx: &'c mut Tx) -> Self {
        match tx {
            Tx::Sqlite(tx) => Conn::SqliteTx(tx),
            Tx::Postgres(tx) => Conn::PgTx(tx),
        }
    }
}

impl<'a, 'c> From<&'a mut Conn<'c>> for Conn<'a> {
    fn from(conn: &'a mut Conn<'c>) -> Self {
        conn.reborrow()
    }
}

/// The SQL dialect, for the few statements that differ between the backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// What went wrong in the database, named once here so no service inspects a driver error.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("unique constraint {constraint:?} violated")]
    Unique { constraint: Constraint },
    #[error("foreign key violated")]
    ForeignKey,
    /// A stored value the code does not know: never read as a plausible default.
    #[error("{table} row {id}: column {column} holds `{value}`, which this version does not know")]
    Corrupt {
        table: &'static str,
        id: i64,
        column: &'static str,
        value: String,
    },
    #[error("database error: {0}")]
    Other(sqlx::Error),
}

impl DbError {
    /// A stored value that does not decode; logged here, with the row, where it is found.
    pub fn corrupt(
        table: &'static str,
        id: i64,
        column: &'static str,
        value: impl std::fmt::Display,
    ) -> Self {
        let value = value.to_string();
        tracing::error!(table, id, column, %value, "unknown value stored in the database");
        DbError::Corrupt {
            table,
            id,
            column,
            value,
        }
    }
}

/// The unique constraints the services act on, with the name each backend reports for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    RoleName,
    UserEmail,
    RoutingProfileName,
    MidTitle,
    MidCascadeAll,
    RecycleProfileName,
    RecycleMidMembership,
    ProductSku,
    CampaignName,
    BinRangeBin,
    ReasonLabel,
    /// One the code has no name for: a bug to fix, surfaced as an unexpected error.
    Other(String),
}

/// (constraint, PostgreSQL's constraint name, the tail of SQLite's "UNIQUE constraint failed: ").
const CONSTRAINTS: [(Constraint, &str, &str); 11] = [
    (Constraint::RoleName, "roles_name_key", "roles.name"),
    (Constraint::UserEmail, "users_email_key", "users.email"),
    (
        Constraint::RoutingProfileName,
        "gateway_profiles_name_idx",
        "index 'gateway_profiles_name_idx'",
    ),
    (
        Constraint::MidTitle,
        "mids_title_idx",
        "index 'mids_title_idx'",
    ),
    (
        Constraint::MidCascadeAll,
        "mids_one_cascade_all_idx",
        "mids.cascade_all",
    ),
    (
        Constraint::RecycleProfileName,
        "recycle_profiles_name_idx",
        "index 'recycle_profiles_name_idx'",
    ),
    (
        Constraint::RecycleMidMembership,
        "recycle_profile_mids_mid_id_key",
        "recycle_profile_mids.mid_id",
    ),
    (
        Constraint::ProductSku,
        "products_sku_idx",
        "index 'products_sku_idx'",
    ),
    (
        Constraint::CampaignName,
        "campaigns_name_idx",
        "index 'campaigns_name_idx'",
    ),
    (
        Constraint::BinRangeBin,
        "bin_ranges_bin_key",
        "bin_ranges.bin",
    ),
    (
        Constraint::ReasonLabel,
        "reasons_label_idx",
        "index 'reasons_label_idx'",
    ),
];

impl From<sqlx::Error> for DbError {
    fn from(e: sqlx::Error) -> Self {
        let Some(db) = e.as_database_error() else {
            return DbError::Other(e);
        };
        if db.is_foreign_key_violation() {
            return DbError::ForeignKey;
        }
        if !db.is_unique_violation() {
            return DbError::Other(e);
        }
        let reported = match db.constraint() {
            Some(name) => name.to_owned(),
            None => db
                .message()
                .strip_prefix("UNIQUE constraint failed: ")
                .unwrap_or(db.message())
                .to_owned(),
        };
        let constraint = CONSTRAINTS
            .iter()
            .find(|(_, pg, sqlite)| reported == *pg || reported == *sqlite)
            .map_or(Constraint::Other(reported), |(c, ..)| c.clone());
        DbError::Unique { constraint }
    }
}

impl DbError {
    /// True when `constraint` fired.
    pub fn is_unique(&self, constraint: Constraint) -> bool {
        matches!(self, DbError::Unique { constraint: c } if *c == constraint)
    }
}

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction on either backend.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Db {
    /// Opens a pool for `url`: `sqlite:` (file created if missing, WAL on) or `postgres:`.
    pub async fn connect(url: &str) -> Result<Self, sqlx::Error> {
        if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(5))
                .connect(url)
                .await?;
            Ok(Db::Postgres(pool))
        } else {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Ok(Db::Sqlite(pool))
        }
    }

    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await,
        }
    }

    /// Starts a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so a
    /// read-then-write never fails half-way with a busy error.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    pub async fn ping(&self) -> Result<(), DbError> {
        on_conn!(Conn::from(self), pool => sqlx::query("SELECT 1").execute(pool).await.map(drop))?;
        Ok(())
    }

    pub fn dialect(&self) -> Dialect {
        match self {
            Db::Sqlite(_) => Dialect::Sqlite,
            Db::Postgres(_) => Dialect::Postgres,
        }
    }

    pub fn backend(&self) -> &'static str {
        match self.dialect() {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }
}
