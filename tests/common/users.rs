//! Running paytrack as other users: needs root and `setpriv` (both there in CI).

use std::process::Command;

/// Whether this test process can run commands as other users; says SKIPPED (naming
/// `what` it would have run) when it cannot.
pub fn can_switch_users(what: &str) -> bool {
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    let setpriv = Command::new("setpriv")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !(root && setpriv) {
        println!("SKIPPED: needs root and setpriv to run {what}");
    }
    root && setpriv
}
