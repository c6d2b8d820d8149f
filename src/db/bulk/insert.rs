//! One multi-row `INSERT` per chunk of rows, per table, every value a bound parameter.

use sqlx::QueryBuilder;

use super::rows::{
    AddressRow, BlacklistRow, CustomerRow, FulfillmentRow, GatewaySaleRow, ItemRow, NoteRow,
    OrderRow, PaymentMethodRow, SubscriptionRow, TokenRow, TransactionRow,
};
use crate::db::{Conn, DbError, Dialect, on_conn};
use crate::domain::decline::DeclineClass;

/// Bound parameters per statement: under SQLite's 32766 and PostgreSQL's 65535.
const SQLITE_PARAMS: usize = 32_000;
const POSTGRES_PARAMS: usize = 65_000;

/// Runs one multi-row `INSERT` per chunk of `$rows`: `$head` is the statement up to `VALUES`
/// for each backend, and `$bind` binds one row's columns, `$columns` of them. A table whose
/// rows come with their ids is named `with_ids(table, "(columns) ")`: PostgreSQL's identity
/// columns take given ids only with `OVERRIDING SYSTEM VALUE`.
macro_rules! insert_rows {
    ($conn:expr, $rows:expr, $columns:expr, with_ids($table:literal, $names:expr), |$b:ident, $r:ident| $bind:block) => {
        insert_rows!(
            $conn,
            $rows,
            $columns,
            (
                const_format::concatcp!("INSERT INTO ", $table, " ", $names),
                const_format::concatcp!("INSERT INTO ", $table, " ", $names, "OVERRIDING SYSTEM VALUE ")
            ),
            |$b, $r| $bind
        )
    };
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

pub(super) async fn customers(conn: &mut Conn<'_>, rows: &[CustomerRow]) -> Result<(), DbError> {
    const COLUMNS: &str =
        "(id, first_name, last_name, email, phone, blacklisted, created_at, updated_at) ";
    insert_rows!(conn, rows, 8, with_ids("customers", COLUMNS), |b, r| {
        b.push_bind(r.id)
            .push_bind(r.first_name)
            .push_bind(r.last_name)
            .push_bind(&r.email)
            .push_bind(&r.phone)
            .push_bind(r.blacklisted)
            .push_bind(r.created_at)
            .push_bind(r.created_at);
    })
}

pub(super) async fn addresses(conn: &mut Conn<'_>, rows: &[AddressRow]) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO customer_addresses (customer_id, kind, line1, line2, city, state, postal_code, country) ";
    insert_rows!(conn, rows, 8, (SQL, SQL), |b, r| {
        b.push_bind(r.customer_id)
            .push_bind(r.kind)
            .push_bind(&r.line1)
            .push_bind(&r.line2)
            .push_bind(r.city)
            .push_bind(r.state)
            .push_bind(&r.postal_code)
            .push_bind(r.country);
    })
}

pub(super) async fn payment_methods(
    conn: &mut Conn<'_>,
    rows: &[PaymentMethodRow],
) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, customer_id, provider, token, brand, card_type, first6, last4, exp_month, exp_year, \
         fingerprint, created_at) ";
    insert_rows!(
        conn,
        rows,
        12,
        with_ids("payment_methods", COLUMNS),
        |b, r| {
            b.push_bind(r.id)
                .push_bind(r.customer_id)
                .push_bind("test")
                .push_bind(&r.token)
                .push_bind(r.brand.key())
                .push_bind(r.card_type.key())
                .push_bind(&r.first6)
                .push_bind(&r.last4)
                .push_bind(r.exp_month)
                .push_bind(r.exp_year)
                .push_bind(&r.fingerprint)
                .push_bind(r.created_at);
        }
    )
}

pub(super) async fn tokens(conn: &mut Conn<'_>, rows: &[TokenRow]) -> Result<(), DbError> {
    const SQL: &str =
        "INSERT INTO test_gateway_tokens (token, scenario, charges, refund_attempts, created_at) ";
    insert_rows!(conn, rows, 4, (SQL, SQL), |b, r| {
        b.push_bind(&r.token)
            .push_bind(r.scenario.key())
            .push_bind(r.charges)
            .push_unseparated(", 0")
            .push_bind(r.created_at);
    })
}

pub(super) async fn blacklist(conn: &mut Conn<'_>, rows: &[BlacklistRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, customer_id, kind, value, reason, created_at) ";
    insert_rows!(conn, rows, 5, with_ids("blacklist", COLUMNS), |b, r| {
        b.push_bind(r.id)
            .push_bind(r.customer_id)
            .push_unseparated(", 'email'")
            .push_bind(&r.value)
            .push_bind(r.reason)
            .push_bind(r.created_at);
    })
}

pub(super) async fn orders(conn: &mut Conn<'_>, rows: &[OrderRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, customer_id, campaign_id, parent_order_id, payment_method_id, mid_id, kind, status, \
         currency, total_minor, ip_address, created_at, updated_at) ";
    insert_rows!(conn, rows, 13, with_ids("orders", COLUMNS), |b, r| {
        b.push_bind(r.id)
            .push_bind(r.customer_id)
            .push_bind(r.campaign_id)
            .push_bind(r.parent_order_id)
            .push_bind(r.payment_method_id)
            .push_bind(r.mid_id)
            .push_bind(r.kind.key())
            .push_bind(r.status.key())
            .push_bind(r.currency.code())
            .push_bind(r.total_minor)
            .push_bind(&r.ip_address)
            .push_bind(r.created_at)
            .push_bind(r.created_at);
    })
}

pub(super) async fn items(conn: &mut Conn<'_>, rows: &[ItemRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, order_id, product_id, product_name, option_name, quantity, unit_price_minor, \
         price_minor, charged_minor, trial) ";
    insert_rows!(conn, rows, 10, with_ids("order_items", COLUMNS), |b, r| {
        b.push_bind(r.id)
            .push_bind(r.order_id)
            .push_bind(r.product_id)
            .push_bind(&r.product_name)
            .push_bind(&r.option_name)
            .push_bind(r.quantity)
            .push_bind(r.unit_price_minor)
            .push_bind(r.price_minor)
            .push_bind(r.charged_minor)
            .push_bind(r.trial);
    })
}

pub(super) async fn notes(conn: &mut Conn<'_>, rows: &[NoteRow]) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, order_id, body, created_at) ";
    insert_rows!(conn, rows, 4, with_ids("order_notes", COLUMNS), |b, r| {
        b.push_bind(r.id)
            .push_bind(r.order_id)
            .push_bind(&r.body)
            .push_bind(r.created_at);
    })
}

pub(super) async fn transactions(
    conn: &mut Conn<'_>,
    rows: &[TransactionRow],
) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, order_id, mid_id, payment_method_id, kind, amount_minor, currency, result, \
         response_code, response_text, decline_class, gateway_reference, idempotency_key, settled_at, created_at) ";
    insert_rows!(conn, rows, 15, with_ids("transactions", COLUMNS), |b, r| {
        b.push_bind(r.id)
            .push_bind(r.order_id)
            .push_bind(r.mid_id)
            .push_bind(r.payment_method_id)
            .push_bind(r.kind.key())
            .push_bind(r.amount_minor)
            .push_bind(r.currency.code())
            .push_bind(r.result.key())
            .push_bind(r.response_code)
            .push_bind(r.response_text)
            .push_bind(r.decline_class.map(DeclineClass::key))
            .push_bind(&r.gateway_reference)
            .push_bind(&r.idempotency_key)
            .push_bind(r.settled_at)
            .push_bind(r.created_at);
    })
}

pub(super) async fn gateway_sales(
    conn: &mut Conn<'_>,
    rows: &[GatewaySaleRow],
) -> Result<(), DbError> {
    const SQL: &str = "INSERT INTO test_gateway_requests (idempotency_key, mid_id, operation, token, amount_minor, \
         currency, result, response_code, response_text, advice_code, reference, created_at) ";
    insert_rows!(conn, rows, 11, (SQL, SQL), |b, r| {
        let result: &'static str = r.result.into();
        b.push_bind(&r.idempotency_key)
            .push_bind(r.mid_id)
            .push_unseparated(", 'sale'")
            .push_bind(&r.token)
            .push_bind(r.amount_minor)
            .push_bind(r.currency.code())
            .push_bind(result)
            .push_bind(r.response_code)
            .push_bind(r.response_text)
            .push_bind(r.advice_code)
            .push_bind(&r.reference)
            .push_bind(r.created_at);
    })
}

pub(super) async fn subscriptions(
    conn: &mut Conn<'_>,
    rows: &[SubscriptionRow],
) -> Result<(), DbError> {
    const COLUMNS: &str = "(id, order_id, order_item_id, customer_id, product_id, mid_id, payment_method_id, status, \
         option_name, quantity, unit_price_minor, price_minor, currency, cycle_days, next_bill_at, paused_until, \
         cancel_reason, created_at, updated_at) ";
    insert_rows!(
        conn,
        rows,
        19,
        with_ids("subscriptions", COLUMNS),
        |b, r| {
            b.push_bind(r.id)
                .push_bind(r.order_id)
                .push_bind(r.order_item_id)
                .push_bind(r.customer_id)
                .push_bind(r.product_id)
                .push_bind(r.mid_id)
                .push_bind(r.payment_method_id)
                .push_bind(r.status.key())
                .push_bind(&r.option_name)
                .push_bind(r.quantity)
                .push_bind(r.unit_price_minor)
                .push_bind(r.price_minor)
                .push_bind(r.currency.code())
                .push_bind(r.cycle_days)
                .push_bind(r.next_bill_at)
                .push_bind(r.paused_until)
                .push_bind(r.cancel_reason)
                .push_bind(r.created_at)
                .push_bind(r.updated_at);
        }
    )
}

pub(super) async fn fulfillments(
    conn: &mut Conn<'_>,
    rows: &[FulfillmentRow],
) -> Result<(), DbError> {
    const COLUMNS: &str =
        "(id, order_id, order_item_id, status, tracking_number, reason, created_at, updated_at) ";
    insert_rows!(conn, rows, 8, with_ids("fulfillments", COLUMNS), |b, r| {
        b.push_bind(r.id)
            .push_bind(r.order_id)
            .push_bind(r.order_item_id)
            .push_bind(r.status.key())
            .push_bind(&r.tracking_number)
            .push_bind(r.reason)
            .push_bind(r.created_at)
            .push_bind(r.updated_at);
    })
}
