//! Waiting for sled to let go of a store's files after the last handle is dropped.
//!
//! Dropping a `sled::Db` stops its flusher, but I/O jobs still on sled's thread pool keep
//! the data file — and with it the store's exclusive lock — open for a moment. A process
//! that drops a store and opens it again at once (a settle after a large import, a test,
//! a hand-over between sessions of one process) would then see its own lock.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// Longest wait for sled's last file handle to close.
const LIMIT: Duration = Duration::from_secs(2);

/// Returns once no file descriptor of this process refers to `file` any more (or after
/// [`LIMIT`]; or at once where `/proc/self/fd` cannot be read).
pub(super) fn wait_until_closed(file: &Path) {
    let Ok(target) = std::fs::metadata(file) else {
        return;
    };
    let start = Instant::now();
    while is_open(target.dev(), target.ino()) && start.elapsed() < LIMIT {
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Whether some descriptor of this process is open on the file `(dev, ino)`.
fn is_open(dev: u64, ino: u64) -> bool {
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return false;
    };
    fds.flatten()
        .any(|fd| std::fs::metadata(fd.path()).is_ok_and(|m| m.dev() == dev && m.ino() == ino))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sees_an_open_file_and_its_closing() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let file = std::fs::File::create(&path).unwrap();
        let m = std::fs::metadata(&path).unwrap();
        assert!(is_open(m.dev(), m.ino()));
        drop(file);
        assert!(!is_open(m.dev(), m.ino()));
        wait_until_closed(&path);
    }
}
