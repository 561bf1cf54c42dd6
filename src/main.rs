//! The `paytrack` binary: everything lives in the library; see [`paytrack::cli`].

fn main() -> std::process::ExitCode {
    paytrack::cli::main()
}
