//! Recoup: a merchant portal for MIDs, gateways, decline salvage and customer service.

pub mod cli;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod domain;
pub mod error;
pub mod gateway;
pub mod mail;
pub mod services;
pub mod startup;
pub mod web;
pub mod worker;
