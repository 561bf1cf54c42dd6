//! paytrack: track invoices and payments from the terminal.
//!
//! Layers, from the bottom: [`domain`] (pure rules), [`store`] (sled and the record
//! encoding), [`query`] (the filter language), [`interchange`] (CSV, JSON, backups),
//! and the front ends: [`cli`] and [`tui`].

pub mod domain;
pub mod text;
