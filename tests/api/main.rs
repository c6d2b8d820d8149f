//! The one integration-test binary. Most tests run twice: on SQLite and on PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking, loudly"
)]

mod chrome;
mod helpers;

mod a11y;
mod access;
mod admin_api_keys;
mod admin_roles;
mod admin_users;
mod api_orders;
mod api_platform;
mod auth;
mod bins;
mod browser;
mod card_logs;
mod catalogue;
mod cli;
mod cs_walkthrough;
mod customers;
mod decoding;
mod errors;
mod events;
mod gateways;
mod generate;
mod jobs;
mod keyboard;
mod mids;
mod order_actions;
mod order_entry_on_file;
mod order_pages;
mod orders;
mod pages;
mod payments;
mod recycle;
mod recycle_keyboard;
mod refund_queue;
mod rerun;
mod rules;
mod security;
mod subscriptions;
mod ui;
