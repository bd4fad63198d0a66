//! One cargo build of the staged crates' hidden tests, read back through
//! `--message-format=json`: a test executable, or the compiler's errors, per crate.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

use crate::error::Error;
use crate::limits;
use crate::process::{self, Exit, Limits};

/// The outcome for one staged crate, keyed by its manifest path.
#[derive(Debug)]
pub enum Built {
    Test(PathBuf),
    Errors(String),
}

#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    manifest_path: PathBuf,
    #[serde(default)]
    executable: Option<PathBuf>,
    #[serde(default)]
    target: Option<Target>,
    #[serde(default)]
    message: Option<Diagnostic>,
}

#[derive(Deserialize)]
struct Target {
    kind: Vec<String>,
}

#[derive(Deserialize)]
struct Diagnostic {
    level: String,
    rendered: Option<String>,
}

/// The cargo that runs the grader, else the one on PATH.
pub fn cargo() -> PathBuf {
    std::env::var_os("CARGO").map(PathBuf::from).unwrap_or_else(|| "cargo".into())
}

/// Builds the hidden tests of every `(manifest, package name)` in `crates`;
/// with `show`, cargo's progress goes to stderr as it builds.
pub fn build(
    workspace: &Path,
    target_dir: &Path,
    crates: &[(PathBuf, String)],
    show: bool,
) -> Result<HashMap<PathBuf, Built>, Error> {
    let mut results = HashMap::new();
    if crates.is_empty() {
        return Ok(results);
    }
    let mut cmd = Command::new(cargo());
    // Cargo reads `.cargo/config.toml` from the working directory up: run it from
    // the root, away from any learner-owned config (runner, linker, flags).
    cmd.current_dir("/")
        .args(["build", "--tests", "--keep-going", "--message-format=json", "--color=never"])
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    for (_, package) in crates {
        cmd.arg("--package").arg(package);
    }
    neutralize_cargo_env(&mut cmd);
    if show && std::io::stderr().is_terminal() {
        // Cargo writes to a pipe here: ask for its progress bar all the same.
        cmd.args(["--config", "term.progress.when='always'", "--config", "term.progress.width=80"]);
    }
    let limits = Limits { echo_stderr: show, ..Limits::tool(limits::BUILD_TIMEOUT) };
    let finished = process::run(cmd, &limits).map_err(|e| Error::Tool {
        tool: cargo().display().to_string(),
        why: format!("could not start it ({e}): install Rust with rustup (https://rustup.rs) and try again"),
    })?;
    let mut errors: HashMap<PathBuf, Vec<String>> = HashMap::new();
    for line in finished.stdout.text().lines() {
        let Ok(msg) = serde_json::from_str::<Message>(line) else { continue };
        match msg.reason.as_str() {
            "compiler-artifact" => {
                let is_test = msg.target.as_ref().is_some_and(|t| t.kind.iter().any(|k| k == "test"));
                if let (true, Some(exe)) = (is_test, msg.executable) {
                    results.insert(msg.manifest_path, Built::Test(exe));
                }
            }
            "compiler-message" => {
                // Each distinct error once, in the order rustc found them; the
                // closing "aborting due to ..." says nothing new.
                if let Some(Diagnostic { level, rendered: Some(text) }) = msg.message
                    && level == "error"
                    && !text.starts_with("error: aborting due to")
                {
                    let list = errors.entry(msg.manifest_path).or_default();
                    if !list.contains(&text) {
                        list.push(text);
                    }
                }
            }
            _ => {}
        }
    }
    for (manifest, _) in crates {
        if results.contains_key(manifest) {
            continue;
        }
        let message = match errors.remove(manifest) {
            Some(list) => shown_errors(list),
            None if finished.exit == Exit::Code(0) => "cargo built no hidden test executable".into(),
            None => {
                // No diagnostic of this crate's own: cargo itself failed (registry, lock, toolchain).
                let stderr = finished.stderr.text();
                let why = stderr.lines().filter(|l| l.contains("error")).take(3).collect::<Vec<_>>().join(" ");
                return Err(Error::Build {
                    why: format!(
                        "cargo stopped before compiling {}: {} (check the network for the first build, then run `cargo grade` again)",
                        manifest.display(),
                        if why.is_empty() { "no error message" } else { why.as_str() }
                    ),
                });
            }
        };
        results.insert(manifest.clone(), Built::Errors(message));
    }
    Ok(results)
}

/// Errors shown of one crate: the first ones matter, later ones often follow from them.
const SHOWN_ERRORS: usize = 5;

fn shown_errors(mut list: Vec<String>) -> String {
    let more = list.len().saturating_sub(SHOWN_ERRORS);
    list.truncate(SHOWN_ERRORS);
    let mut text = list.iter().map(|e| e.trim_end()).collect::<Vec<_>>().join("\n\n");
    if more > 0 {
        text.push_str(&format!("\n\n... and {more} more error{} (fix these first)", if more == 1 { "" } else { "s" }));
    }
    text
}

/// Settings inherited from an outer cargo (or set by a learner) must not change
/// how the grader's crates build: every cargo call on a scratch workspace gets
/// exactly the grader's own.
pub fn neutralize_cargo_env(cmd: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let inherited_build_setting = key.starts_with("CARGO_")
            && !matches!(
                key,
                "CARGO_HOME" | "CARGO_NET_OFFLINE" | "CARGO_HTTP_TIMEOUT" | "CARGO_REGISTRIES_CRATES_IO_PROTOCOL"
            )
            // No incremental caches changes no verdict, only disk and rebuild time.
            && !(key == "CARGO_INCREMENTAL" && std::env::var_os(key).is_some_and(|v| v == "0"));
        if inherited_build_setting || key.starts_with("RUSTC") || key.starts_with("RUSTDOC") {
            cmd.env_remove(key);
        }
    }
    // Set values also take precedence over a `.cargo/config.toml`. Compressed
    // debug sections halve every test executable on disk; backtraces (the
    // deadlock reports) still read them. Wrappers are unset, not set empty:
    // an empty one turns off cargo's cache of `rustc -vV`, five extra rustc
    // starts on every grade.
    cmd.env("CARGO_ENCODED_RUSTFLAGS", "-Clink-arg=-Wl,--compress-debug-sections=zlib")
        .env_remove("RUSTFLAGS")
        .env("CARGO_TERM_COLOR", "never");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_shown_whole_first_ones_first_with_a_count_of_the_rest() {
        let errors: Vec<String> =
            (1..=7).map(|i| format!("error[E0{i}]: problem {i}\n --> src/lib.rs:{i}:1\n")).collect();
        let text = shown_errors(errors);
        assert!(text.starts_with("error[E01]: problem 1\n --> src/lib.rs:1:1\n\nerror[E02]"), "{text}");
        assert!(text.contains("problem 5") && !text.contains("problem 6"), "{text}");
        assert!(text.ends_with("... and 2 more errors (fix these first)"), "{text}");
    }
}
