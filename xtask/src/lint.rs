//! Every shipped line of Rust formatted and linted: the course check runs
//! `rustfmt --check` and clippy over the staged crates of its batch (solutions
//! over their starters, materialised wrong and right solutions). Starters are
//! workspace members, linted with the tools.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use grader::compile;
use grader::error::Error;
use grader::process::{self, Limits};

/// Lints a deliberately wrong solution may trip: a mistake leaves a helper,
/// an import or a binding unused, or keeps code the fix would need. Anything
/// else clippy says is a slip in the fixture.
pub const WRONG_ALLOWS: [&str; 6] =
    ["dead_code", "unused_imports", "unused_variables", "unused_mut", "unused_assignments", "unreachable_code"];

/// A staged crate to lint: its folder in the batch's workspace, what to call it
/// in a problem and how to fix it, and whether it is a wrong solution.
pub struct Member {
    pub dir: PathBuf,
    pub name: String,
    pub fix: String,
    pub wrong: bool,
}

/// One line per member that rustfmt would change or (with `clippy`) clippy
/// warns about.
pub fn problems(workspace: &Path, target_dir: &Path, members: &[Member], clippy: bool) -> Result<Vec<String>, Error> {
    let mut out = Vec::new();
    let tool = |tool: &str, why: String| Error::Tool { tool: tool.into(), why };
    let mut fmt = Command::new("rustfmt");
    fmt.args(["--check", "--files-with-diff", "--edition", "2024"]);
    fmt.args(members.iter().map(|m| m.dir.join("src/lib.rs")));
    let done =
        process::run(fmt, &Limits::tool(Duration::from_secs(300))).map_err(|e| tool("rustfmt", e.to_string()))?;
    let listed = done.stdout.text();
    for m in members {
        if let Some(file) = listed.lines().find(|l| Path::new(l.trim()).starts_with(&m.dir)) {
            let file = Path::new(file.trim()).strip_prefix(m.dir.join("src")).unwrap_or(Path::new(file));
            out.push(format!("{}: rustfmt would change src/{}: {}", m.name, file.display(), m.fix));
        }
    }
    for wrong in [false, true].into_iter().filter(|_| clippy) {
        let chosen: Vec<&Member> = members.iter().filter(|m| m.wrong == wrong).collect();
        if chosen.is_empty() {
            continue;
        }
        let mut cmd = Command::new(compile::cargo());
        cmd.current_dir("/")
            .args(["clippy", "--quiet", "--keep-going", "--lib", "--message-format=short", "--manifest-path"])
            .arg(workspace.join("Cargo.toml"))
            .arg("--target-dir")
            .arg(target_dir);
        for m in &chosen {
            cmd.arg("--package").arg(package(&m.dir)?);
        }
        cmd.args(["--", "-D", "warnings"]);
        if wrong {
            for lint in WRONG_ALLOWS {
                cmd.args(["-A", lint]);
            }
        }
        compile::neutralize_cargo_env(&mut cmd);
        let done = process::run(cmd, &Limits::tool(Duration::from_secs(1800)))
            .map_err(|e| tool("cargo clippy", e.to_string()))?;
        let said = done.stderr.text();
        for m in chosen {
            let rel = m.dir.strip_prefix(workspace).unwrap_or(&m.dir).join("src");
            if let Some(line) = said.lines().find(|l| l.contains(&format!("{}/", rel.display())) && l.contains(": ")) {
                let at = line.split_once(&format!("{}/", rel.display())).map_or(line, |(_, rest)| rest);
                out.push(format!("{}: clippy: src/{at}: {}", m.name, m.fix));
            }
        }
    }
    Ok(out)
}

fn package(dir: &Path) -> Result<String, Error> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).map_err(|e| Error::io("read a staged manifest", &manifest, e))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| Error::Catalogue { path: manifest.clone(), why: e.message().into() })?;
    Ok(table.get("package").and_then(|p| p.get("name")).and_then(|n| n.as_str()).unwrap_or_default().to_string())
}
