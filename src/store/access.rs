//! Who may use the files of a store: its user only, or the store directory's group too.
//!
//! By default everything paytrack creates is private: `0600` files in `0700`
//! directories (umask 077). A user who shares a store with a group
//! (`[store] share_with_group = true` in config.toml, see [`crate::session`]) opens it
//! with [`FileAccess::Group`]: the umask is 007, so sled's files, the marker and the
//! safety copies are `0660` in `0770` directories, and the files and directories this
//! user owns in the store (and its safety copies) are given the store directory's group,
//! directories with the set-group-id bit so that what any member creates there later
//! belongs to the group too. Another member of the group can then open the store as its
//! owner once this user's processes have quit.

use std::fs::File;
use std::io;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

/// Who may read and write the files of a store that this process creates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FileAccess {
    /// The user only: files `0600`, directories `0700`.
    #[default]
    Private,
    /// The store directory's group too: files `0660`, directories `0770`.
    Group,
}

impl FileAccess {
    /// Mode of new files.
    pub fn file_mode(self) -> u32 {
        match self {
            FileAccess::Private => 0o600,
            FileAccess::Group => 0o660,
        }
    }

    /// Mode of new directories.
    pub fn dir_mode(self) -> u32 {
        match self {
            FileAccess::Private => 0o700,
            FileAccess::Group => 0o770,
        }
    }

    fn umask(self) -> libc::mode_t {
        match self {
            FileAccess::Private => 0o077,
            FileAccess::Group => 0o007,
        }
    }
}

/// Sets the process's file-creation mask for `access`: sled creates its files with it.
pub fn set_umask(access: FileAccess) {
    // SAFETY: umask only swaps the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(access.umask());
    }
}

/// This process's effective user id.
fn my_uid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

/// Creates `dir` (and missing parents) with `access`'s mode.
pub fn create_dir(dir: &Path, access: FileAccess) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(access.dir_mode())
        .create(dir)
}

/// Creates (or truncates) a file with `access`'s mode; with [`FileAccess::Group`] it
/// belongs to `group` (the store directory's group) when this user may give it to it.
pub fn create_file(path: &Path, access: FileAccess, group: Option<u32>) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(access.file_mode())
        .open(path)?;
    if access == FileAccess::Group {
        if let Some(g) = group {
            if f.metadata()?.gid() != g {
                // Best effort: a user outside the group cannot give it a file.
                let _ = std::os::unix::fs::fchown(&f, None, Some(g));
            }
        }
    }
    Ok(f)
}

/// The group of the store directory `dir`.
pub fn dir_group(dir: &Path) -> Option<u32> {
    std::fs::metadata(dir).ok().map(|m| m.gid())
}

/// Gives `path` (a file or directory this user owns) the group `gid` and group read and
/// write access (directories: also search and the set-group-id bit). Best effort: a
/// user may give files only to groups they are in, and only their own files.
pub fn share_with(path: &Path, gid: u32) {
    let Ok(m) = std::fs::symlink_metadata(path) else {
        return;
    };
    if m.uid() != my_uid() || m.file_type().is_symlink() {
        return;
    }
    if m.gid() != gid {
        let _ = std::os::unix::fs::lchown(path, None, Some(gid));
    }
    let mode = m.permissions().mode() & 0o7777;
    let want = if m.is_dir() {
        mode | 0o2070
    } else {
        mode | 0o060
    };
    if want != mode || m.gid() != gid {
        // chown clears the set-group-id bit of directories on some systems: set it again.
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(want));
    }
}

/// [`share_with`] on `dir` and everything in it, one level of subdirectories deep
/// (sled keeps its blobs in `blobs/`).
pub fn share_tree(dir: &Path, gid: u32) {
    share_with(dir, gid);
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        share_with(&p, gid);
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            if let Ok(sub) = std::fs::read_dir(&p) {
                for s in sub.flatten() {
                    share_with(&s.path(), gid);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_follow_the_access() {
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        let private = dir.path().join("private");
        create_dir(&private, FileAccess::Private).unwrap();
        let f = private.join("f");
        create_file(&f, FileAccess::Private, None).unwrap();
        assert_eq!((mode(&private) & 0o777, mode(&f)), (0o700, 0o600));
        let shared = dir.path().join("shared");
        let own_gid = std::fs::metadata(dir.path()).unwrap().gid();
        create_dir(&shared, FileAccess::Group).unwrap();
        let g = shared.join("g");
        create_file(&g, FileAccess::Group, Some(own_gid)).unwrap();
        // the umask of the test process may take bits away: at most the access's mode
        assert_eq!(mode(&shared) & !0o770 & 0o777, 0);
        assert_eq!(mode(&g) & !0o660, 0);
        share_tree(&shared, own_gid);
        assert_eq!(mode(&shared) & 0o2070, 0o2070);
        assert_eq!(mode(&g) & 0o060, 0o060);
        // a private tree is left alone by create_*, and shared only when asked
        assert_eq!(mode(&f), 0o600);
    }
}
