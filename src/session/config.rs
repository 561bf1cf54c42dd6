//! Sharing settings from the user's `config.toml`:
//!
//! ```toml
//! [store]
//! share_with_group = true   # serve the store's group too (socket 0660); default false
//! ```

use std::path::{Path, PathBuf};

use super::SessionError;

/// File name of the config inside the config directory.
pub const CONFIG_FILE: &str = "config.toml";

/// How a store is shared with other users.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionConfig {
    /// Serve processes of other users in the store directory's group (socket mode 0660
    /// in that group; a peer any of whose groups is it is served), create the store's
    /// files for the group (0660, dirs 0770), and open stores of other users of the group.
    /// Off by default: only the owner's uid is served (socket 0600), files are private,
    /// and another user's store is not opened as its owner.
    pub share_with_group: bool,
}

#[derive(serde::Deserialize, Default)]
struct File {
    #[serde(default)]
    store: StoreSection,
}

#[derive(serde::Deserialize, Default)]
struct StoreSection {
    #[serde(default)]
    share_with_group: bool,
}

/// A config file that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl SessionConfig {
    /// Reads `config.toml` in `dir`; the defaults when there is no directory or no file.
    /// Other sections of the file are left to their readers.
    pub fn load(dir: Option<&Path>) -> Result<SessionConfig, SessionError> {
        let Some(dir) = dir else {
            return Ok(SessionConfig::default());
        };
        let path = dir.join(CONFIG_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(SessionConfig::default())
            }
            Err(e) => {
                return Err(SessionError::Config(ConfigError {
                    message: e.to_string(),
                    path,
                }))
            }
        };
        SessionConfig::parse(&text)
            .map_err(|message| SessionError::Config(ConfigError { path, message }))
    }

    /// Parses the text of a config file.
    pub fn parse(text: &str) -> Result<SessionConfig, String> {
        let f: File = toml::from_str(text).map_err(|e| e.message().to_string())?;
        Ok(SessionConfig {
            share_with_group: f.store.share_with_group,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sharing_is_off_unless_the_store_section_turns_it_on() {
        assert!(!SessionConfig::parse("").unwrap().share_with_group);
        assert!(
            !SessionConfig::parse("[tui]\nx = 1\n")
                .unwrap()
                .share_with_group
        );
        assert!(
            SessionConfig::parse("[store]\nshare_with_group = true\n")
                .unwrap()
                .share_with_group
        );
        assert!(SessionConfig::parse("[store]\nshare_with_group = \"yes\"\n").is_err());
    }
}
