//! Helpers shared by the integration tests (each test file that needs them says
//! `mod common;`). Not every test file uses every helper.
#![allow(dead_code)]

pub mod cli;
pub mod tmux;
pub mod users;
