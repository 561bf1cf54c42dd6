//! paytrack: track invoices and payments from the terminal.
//!
//! Layers, from the bottom: [`domain`] (pure rules), [`store`] (sled and the record
//! encoding), [`query`] (the filter language), [`interchange`] (CSV, JSON, backups),
//! [`ops`] (validated operations shared by both front ends), and the front ends:
//! [`cli`] and [`tui`].

pub mod bench;
pub mod check;
pub mod cli;
pub mod demo;
pub mod domain;
pub mod interchange;
pub mod ops;
pub mod query;
pub mod report;
pub mod session;
pub mod store;
pub mod table;
pub mod text;
pub mod tui;
