//! The `paytrack` binary: everything lives in the library; see [`paytrack::cli`].

fn main() -> std::process::ExitCode {
    // Every file paytrack writes (store, backups, exports, safety copies, mbox files)
    // holds money records: private to the owner whatever the caller's umask.
    paytrack::store::restrict_umask();
    paytrack::cli::main()
}
