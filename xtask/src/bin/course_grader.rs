//! The grader, as the tools' own tests run it. Cargo builds a package's
//! binaries for its tests with the test build's features; `cargo build -p
//! grader` from a test would resolve them anew and rebuild a score of crates.

fn main() -> std::process::ExitCode {
    grader::cli::main()
}
