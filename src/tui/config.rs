//! Locating and reporting on the TUI's configuration files (keymap and theme).

use std::fmt;
use std::path::{Path, PathBuf};

/// A problem found in a configuration file. The file's other entries and the
/// defaults still apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigWarning {
    /// The file (a path, or `builtin:NAME` for an embedded one).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}:{}: {}", self.file, l, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// 1-based line number of a byte offset in `src`.
pub fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The directory holding `keymap.toml` and `theme.toml`: the given one, else the
/// platform's config dir for paytrack.
pub fn config_dir(given: Option<&Path>) -> Option<PathBuf> {
    if let Some(d) = given {
        return Some(d.to_path_buf());
    }
    directories::ProjectDirs::from("", "", "paytrack").map(|p| p.config_dir().to_path_buf())
}

/// Where a named-or-path selection (`--keymap NAME|PATH`) points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// One of the embedded files.
    Builtin(&'static str, &'static str),
    /// A file on disk.
    File(PathBuf),
}

/// Resolves `NAME|PATH` against the embedded files: a known name wins, anything
/// else is a path.
pub fn resolve(selection: Option<&str>, builtins: &[(&'static str, &'static str)]) -> Source {
    let default = builtins[0];
    match selection {
        None => Source::Builtin(default.0, default.1),
        Some(s) => match builtins.iter().find(|(n, _)| *n == s) {
            Some((n, src)) => Source::Builtin(n, src),
            None => Source::File(PathBuf::from(s)),
        },
    }
}

/// Reads a file, turning a failure into a warning.
pub fn read(path: &Path) -> Result<String, ConfigWarning> {
    std::fs::read_to_string(path).map_err(|e| ConfigWarning {
        file: path.display().to_string(),
        line: None,
        message: format!("cannot read: {e}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based() {
        let s = "a\nb\nc";
        assert_eq!(line_of(s, 0), 1);
        assert_eq!(line_of(s, 2), 2);
        assert_eq!(line_of(s, 4), 3);
        assert_eq!(line_of(s, 99), 3);
    }

    #[test]
    fn names_win_over_paths() {
        let b = [("default", "x"), ("emacs", "y")];
        assert_eq!(resolve(None, &b), Source::Builtin("default", "x"));
        assert_eq!(resolve(Some("emacs"), &b), Source::Builtin("emacs", "y"));
        assert_eq!(
            resolve(Some("my.toml"), &b),
            Source::File(PathBuf::from("my.toml"))
        );
    }
}
