//! `paytrack import statement FILE`: a bank statement in ISO 20022 CAMT.053 ([`super::camt`])
//! or OFX 1.x/2.x ([`super::ofx`]), told apart by its content.

use super::encoding::{decode, Encoding};
use super::foreign::Extract;
use super::{camt, ofx, ImportError};

/// Reads a statement file of either format (UTF-8, with or without a byte order mark,
/// or Windows-1252 as older OFX files are).
pub fn read(bytes: &[u8], source: &str) -> Result<Extract, ImportError> {
    let (text, _) = decode(bytes, Encoding::Auto, source)?;
    if ofx::looks_like(&text) {
        return ofx::read(&text, source);
    }
    if camt::looks_like(&text) {
        return camt::read(&text, source);
    }
    if text.trim().is_empty() {
        return Err(ImportError::new(source, 1, None, "the file is empty"));
    }
    Err(ImportError::new(
        source,
        1,
        None,
        "not a bank statement paytrack reads: expected ISO 20022 CAMT.053 (XML) or OFX",
    ))
}
