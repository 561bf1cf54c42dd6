//! `paytrack import statement FILE`: a bank statement in ISO 20022 CAMT.053 ([`super::camt`])
//! or OFX 1.x/2.x ([`super::ofx`]), told apart by its content.

use std::path::Path;

use super::encoding::{decode, head, Encoding, HEAD};
use super::foreign::Extract;
use super::{camt, ofx, ImportError};

/// Whether a file's name says it is a statement: `.xml` (CAMT.053), `.ofx` or `.qfx`.
pub fn by_name(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| ["xml", "ofx", "qfx"].contains(&e.to_ascii_lowercase().as_str()))
}

/// The statement format of a file (`CAMT.053`, `OFX`), recognised from its start;
/// `None` when it is not a statement.
pub fn recognise(bytes: &[u8]) -> Option<&'static str> {
    let (text, _) = decode(head(bytes, HEAD), Encoding::Auto, "").ok()?;
    if ofx::looks_like(&text) {
        Some("OFX")
    } else if camt::looks_like(&text) {
        Some("CAMT.053")
    } else {
        None
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_by_name_and_content() {
        assert!(by_name(Path::new("/x/camt053.XML")));
        assert!(by_name(Path::new("bank.qfx")));
        assert!(!by_name(Path::new("bank.csv")));
        assert!(!by_name(Path::new("ofx")));
        assert_eq!(recognise(b"OFXHEADER:100\n<OFX>"), Some("OFX"));
        assert_eq!(
            recognise(b"<?xml version=\"1.0\"?><Document><BkToCstmrStmt>"),
            Some("CAMT.053")
        );
        assert_eq!(recognise(b"Date,Amount\n"), None);
    }
}
