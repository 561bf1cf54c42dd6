//! A writer that neutralises a text stream on its way to a terminal.

use std::io::{self, Write};

/// Passes UTF-8 text on to `W` with every unsafe character replaced as [`super::sanitize`]
/// replaces it, except line breaks and tabs, which a stream of lines (CSV, a report) needs
/// and which cannot act on the terminal beyond moving the cursor forward. Bytes that are
/// not UTF-8 become `�`. A character cut between two writes is put together first.
///
/// For standard output when it is a terminal: the same bytes written to a file or a pipe
/// go through untouched.
pub struct TerminalWriter<W: Write> {
    inner: W,
    /// The start of a character cut off at the end of the last write.
    pending: Vec<u8>,
    /// The last character passed on (a variation selector depends on it).
    prev: Option<char>,
    out: String,
}

fn keep(c: char) -> bool {
    c == '\n' || c == '\t'
}

impl<W: Write> TerminalWriter<W> {
    /// Neutralises everything written on its way to `inner`.
    pub fn new(inner: W) -> Self {
        TerminalWriter {
            inner,
            pending: Vec::new(),
            prev: None,
            out: String::new(),
        }
    }

    /// Neutralises `bytes` into `self.out`; returns how many trailing bytes are the start
    /// of a character that the next write completes.
    fn convert(&mut self, mut bytes: &[u8]) -> usize {
        loop {
            match std::str::from_utf8(bytes) {
                Ok(s) => {
                    super::neutralise_into(&mut self.out, s, &mut self.prev, keep);
                    return 0;
                }
                Err(e) => {
                    let (good, rest) = bytes.split_at(e.valid_up_to());
                    // `good` is valid UTF-8: from_utf8 said so.
                    let s = std::str::from_utf8(good).unwrap_or_default();
                    super::neutralise_into(&mut self.out, s, &mut self.prev, keep);
                    match e.error_len() {
                        None => return rest.len(),
                        Some(n) => {
                            self.out.push('\u{fffd}');
                            self.prev = Some('\u{fffd}');
                            bytes = &rest[n..];
                        }
                    }
                }
            }
        }
    }
}

impl<W: Write> Write for TerminalWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.clear();
        let cut = if self.pending.is_empty() {
            let cut = self.convert(buf);
            self.pending.extend_from_slice(&buf[buf.len() - cut..]);
            cut
        } else {
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(buf);
            let cut = self.convert(&joined);
            self.pending
                .extend_from_slice(&joined[joined.len() - cut..]);
            cut
        };
        debug_assert!(cut <= 3);
        self.inner.write_all(self.out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Drop for TerminalWriter<W> {
    fn drop(&mut self) {
        // A character that was never completed.
        if !self.pending.is_empty() {
            let _ = self.inner.write_all("\u{fffd}".as_bytes());
        }
        let _ = self.inner.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(chunks: &[&[u8]]) -> String {
        let mut out = Vec::new();
        {
            let mut w = TerminalWriter::new(&mut out);
            for c in chunks {
                w.write_all(c).unwrap();
            }
            w.flush().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_are_neutralised_and_lines_kept() {
        let csv = "date,party,notes\n2025-01-01,\"Evil\u{1b}]52;c;aGk=\u{7}\",\"\u{9b}31m\u{202e}x\r\n\ty\u{ad}\"\n";
        let s = through(&[csv.as_bytes()]);
        assert_eq!(
            s,
            "date,party,notes\n2025-01-01,\"Evil\u{241b}]52;c;aGk=\u{2407}\",\"\u{fffd}31m\u{fffd}x\u{240d}\n\ty\u{fffd}\"\n"
        );
    }

    #[test]
    fn characters_cut_between_writes_are_put_together() {
        let text = "Müller ❤\u{fe0f} \u{9b}2J 葛\u{e0100} end\n";
        let bytes = text.as_bytes();
        let whole = through(&[bytes]);
        assert_eq!(whole, "Müller ❤\u{fe0f} \u{fffd}2J 葛\u{e0100} end\n");
        for i in 0..bytes.len() {
            for j in i..bytes.len() {
                assert_eq!(
                    through(&[&bytes[..i], &bytes[i..j], &bytes[j..]]),
                    whole,
                    "cut at {i} and {j}"
                );
            }
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_become_replacement_characters() {
        assert_eq!(through(&[b"a\xffb\xc2"]), "a\u{fffd}b\u{fffd}");
        // a raw 8-bit CSI byte is not UTF-8 either
        assert_eq!(through(&[b"\x9b2J"]), "\u{fffd}2J");
    }
}
