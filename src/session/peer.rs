//! Who is on the other end of a Unix socket.

use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;

/// The peer process's credentials.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PeerCred {
    /// Effective user id.
    pub uid: u32,
    /// Effective group id.
    pub gid: u32,
    /// Process id (0 where the system does not tell).
    pub pid: i32,
}

/// The credentials of the process at the other end of `s` (`SO_PEERCRED`).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn peer_cred(s: &UnixStream) -> std::io::Result<PeerCred> {
    let mut cred = libc::ucred {
        pid: 0,
        uid: 0,
        gid: 0,
    };
    let mut len = std::mem::size_of::<libc::ucred>() as libc::socklen_t;
    // SAFETY: `cred` and `len` are valid for writes of the sizes given; the fd is open.
    let rc = unsafe {
        libc::getsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_PEERCRED,
            (&mut cred as *mut libc::ucred).cast(),
            &mut len,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(PeerCred {
        uid: cred.uid,
        gid: cred.gid,
        pid: cred.pid,
    })
}

/// The credentials of the process at the other end of `s` (`getpeereid`).
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn peer_cred(s: &UnixStream) -> std::io::Result<PeerCred> {
    let (mut uid, mut gid) = (0, 0);
    // SAFETY: both out-pointers are valid; the fd is open.
    let rc = unsafe { libc::getpeereid(s.as_raw_fd(), &mut uid, &mut gid) };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(PeerCred { uid, gid, pid: 0 })
}

/// Every group of the process at the other end of `s`: its effective group and its
/// supplementary groups (`SO_PEERGROUPS`, as they were when it connected; where the
/// kernel does not have it, the `Groups:` line of `/proc/<pid>/status`).
#[cfg(any(target_os = "linux", target_os = "android"))]
pub fn peer_groups(s: &UnixStream, cred: PeerCred) -> Vec<u32> {
    let mut groups = match so_peergroups(s) {
        Ok(g) => g,
        Err(_) => proc_groups(cred.pid).unwrap_or_default(),
    };
    groups.push(cred.gid);
    groups.sort_unstable();
    groups.dedup();
    groups
}

/// Every group of the process at the other end of `s`: where only the effective group
/// is known, that one.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub fn peer_groups(_s: &UnixStream, cred: PeerCred) -> Vec<u32> {
    vec![cred.gid]
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn so_peergroups(s: &UnixStream) -> std::io::Result<Vec<u32>> {
    let mut groups: Vec<libc::gid_t> = vec![0; 64];
    loop {
        let mut len = (groups.len() * std::mem::size_of::<libc::gid_t>()) as libc::socklen_t;
        // SAFETY: `groups` is valid for writes of `len` bytes; the fd is open.
        let rc = unsafe {
            libc::getsockopt(
                s.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_PEERGROUPS,
                groups.as_mut_ptr().cast(),
                &mut len,
            )
        };
        let n = len as usize / std::mem::size_of::<libc::gid_t>();
        if rc == 0 {
            groups.truncate(n);
            return Ok(groups);
        }
        let e = std::io::Error::last_os_error();
        // ERANGE: `len` says how much room the list needs.
        if e.raw_os_error() == Some(libc::ERANGE) && n > groups.len() && n <= 1 << 16 {
            groups.resize(n, 0);
            continue;
        }
        return Err(e);
    }
}

/// The supplementary groups on the `Groups:` line of `/proc/<pid>/status`.
#[cfg(any(target_os = "linux", target_os = "android"))]
fn proc_groups(pid: i32) -> Option<Vec<u32>> {
    if pid <= 0 {
        return None;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_groups_line(&status)
}

/// The numbers of the `Groups:` line of a `/proc/<pid>/status` text.
fn parse_groups_line(status: &str) -> Option<Vec<u32>> {
    let line = status.lines().find_map(|l| l.strip_prefix("Groups:"))?;
    Some(
        line.split_whitespace()
            .filter_map(|g| g.parse().ok())
            .collect(),
    )
}

/// The name of group `gid`, when the system knows it.
pub fn group_name(gid: u32) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    // SAFETY: an all-zero `group` is a valid value to be overwritten by getgrgid_r.
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the sizes given; `out` is set to `&grp` or null.
    let rc =
        unsafe { libc::getgrgid_r(gid, &mut grp, buf.as_mut_ptr().cast(), buf.len(), &mut out) };
    if rc != 0 || out.is_null() || grp.gr_name.is_null() {
        return None;
    }
    // SAFETY: getgrgid_r succeeded: gr_name points to a NUL-terminated string in `buf`.
    let name = unsafe { std::ffi::CStr::from_ptr(grp.gr_name) };
    Some(name.to_string_lossy().into_owned())
}

/// This process's effective user id.
pub fn my_uid() -> u32 {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_line_of_proc_status() {
        let status =
            "Name:\tsh\nUid:\t0\t0\t0\t0\nGid:\t5\t5\t5\t5\nGroups:\t100 61001 \nNgid:\t0\n";
        assert_eq!(parse_groups_line(status), Some(vec![100, 61001]));
        assert_eq!(parse_groups_line("Groups:\t\n"), Some(vec![]));
        assert_eq!(parse_groups_line("Name: x\n"), None);
    }

    #[test]
    fn the_groups_of_a_peer_are_this_process_s_own() {
        let (a, b) = UnixStream::pair().unwrap();
        let cred = peer_cred(&a).unwrap();
        assert_eq!(cred.uid, my_uid());
        let groups = peer_groups(&a, cred);
        // SAFETY: getegid cannot fail.
        let egid = unsafe { libc::getegid() };
        assert!(groups.contains(&egid), "{groups:?}");
        // what SO_PEERGROUPS says is what /proc says about this process
        let mut mine = proc_groups(std::process::id() as i32).unwrap();
        mine.push(egid);
        mine.sort_unstable();
        mine.dedup();
        assert_eq!(groups, mine);
        drop(b);
    }
}
