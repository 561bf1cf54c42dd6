//! Application operations.
