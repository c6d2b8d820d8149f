//! The one integration-test binary. Most tests run twice: on SQLite and on PostgreSQL.

mod helpers;

mod access;
mod admin_roles;
mod admin_users;
mod auth;
mod cli;
mod events;
mod pages;
mod rules;
