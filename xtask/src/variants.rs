//! Variants of a solution kept as fixtures of the course check:
//!
//! - `<hidden>/<dir>/wrong/<name>.patch`: a plausible learner mistake that the
//!   hidden tests must keep catching, stored as a unified diff against the
//!   solution (layered over its starter, see `grader::layers`), with a header
//!   saying what it gets wrong and which tests must fail. It is applied with exact
//!   context (a hunk may move, never fuzz): `cargo xtask wrong edit` writes the
//!   whole file for editing and `cargo xtask wrong save` turns it back into a patch;
//! - `<hidden>/<dir>/right/<name>.rs`: correct code in another style the page
//!   allows (scoped threads instead of `Arc`, std channels instead of crossbeam,
//!   ...), a whole `src/lib.rs` that must keep full marks.
//!
//! ```text
//! //! Wrong: joins each thread inside the loop that spawns it.
//! //! Must fail: downloads_are_in_flight_at_the_same_time
//! --- a/src/lib.rs
//! +++ b/src/lib.rs
//! @@ -40,7 +40,6 @@
//!
//! //! Right: std::thread::scope instead of Arc and spawn.
//! ```

use std::fs;
use std::path::{Path, PathBuf};

use diffy::{DiffOptions, Patch};
use grader::catalogue::{Course, Exercise};
use grader::error::Error;
use grader::grade;
use grader::layers;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Wrong,
    Right,
}

impl Kind {
    /// The folder beside `hidden.rs`, and the prefix of submission keys.
    pub fn folder(self) -> &'static str {
        match self {
            Kind::Wrong => "wrong",
            Kind::Right => "right",
        }
    }

    /// How its files end: a wrong solution is a patch, a right one a whole file.
    pub fn extension(self) -> &'static str {
        match self {
            Kind::Wrong => "patch",
            Kind::Right => "rs",
        }
    }
}

/// The line that ends a wrong solution's header.
const LAST_HEADER_LINE: &str = "//! Must fail:";

pub struct Variant {
    pub kind: Kind,
    pub dir: String,
    pub id: String,
    pub name: String,
    pub file: PathBuf,
    /// Tests that must fail (wrong solutions; empty for right ones).
    pub must_fail: Vec<String>,
}

impl Variant {
    /// The submission key of this variant in the check's batch.
    pub fn key(&self) -> String {
        format!("{}-{}", self.kind.folder(), self.name)
    }

    /// `01_first_thread wrong/runs_inline.patch`, for messages.
    pub fn label(&self) -> String {
        format!("{} {}/{}.{}", self.dir, self.kind.folder(), self.name, self.kind.extension())
    }

    /// The file of `src/` this variant replaces and its whole text (a wrong
    /// solution's header first); `Err` names the problem and its fix.
    pub fn source(&self, course: &Course) -> Result<(PathBuf, String), String> {
        let text = fs::read_to_string(&self.file).map_err(|e| format!("cannot read {}: {e}", self.file.display()))?;
        if self.kind == Kind::Right {
            return Ok(("lib.rs".into(), text));
        }
        let (header, diff) = split_patch(&text);
        let fix = format!(
            "run `cargo xtask wrong edit {id} {name}`, fix the file, then `cargo xtask wrong save {id} {name}`",
            id = self.id,
            name = self.name
        );
        let at = format!("wrong/{}.patch of {}", self.name, self.id);
        let patch = Patch::from_str(diff).map_err(|e| format!("{at} is not a unified diff ({e}): {fix}"))?;
        let target = patched_file(&patch).ok_or_else(|| format!("{at} names no file `--- a/src/<file>`: {fix}"))?;
        let ex = course.exercises.iter().find(|e| e.id == self.id).expect("discovered from the catalogue");
        let base = solution_file(course, ex, &target);
        let shown = base.strip_prefix(&course.root).unwrap_or(&base).display().to_string();
        let original =
            fs::read_to_string(&base).map_err(|_| format!("{at} changes {shown}, which is missing: {fix}"))?;
        let patched =
            diffy::apply(&original, &patch).map_err(|_| format!("{at} no longer applies to {shown}: {fix}"))?;
        Ok((target, format!("{header}\n{patched}")))
    }
}

/// A patch file's header (the lines before the diff) and its diff.
fn split_patch(text: &str) -> (&str, &str) {
    let at = text.find("\n--- ").map_or(if text.starts_with("--- ") { 0 } else { text.len() }, |i| i + 1);
    text.split_at(at)
}

/// `lib.rs` for a patch of `a/src/lib.rs`.
fn patched_file(patch: &Patch<'_, str>) -> Option<PathBuf> {
    let name = patch.original()?.trim();
    let rel = Path::new(name.strip_prefix("a/").unwrap_or(name)).strip_prefix("src").ok()?;
    (!rel.as_os_str().is_empty()).then(|| rel.to_path_buf())
}

/// Where the solution's `src/<rel>` is read from: the solution's own file, else the starter's.
fn solution_file(course: &Course, ex: &Exercise, rel: &Path) -> PathBuf {
    let layers = layers::solution(course, ex);
    layers::files(&layers).remove(rel).unwrap_or_else(|| layers[1].join(rel))
}

/// Every wrong and right solution in the course, and the problems with their headers.
pub fn discover(course: &Course) -> (Vec<Variant>, Vec<String>) {
    let (mut found, mut problems) = (Vec::new(), Vec::new());
    for ex in &course.exercises {
        for kind in [Kind::Wrong, Kind::Right] {
            let dir = course.paths.hidden.join(&ex.dir).join(kind.folder());
            let Ok(entries) = fs::read_dir(&dir) else { continue };
            let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            files.sort();
            for file in files {
                let at = file.display();
                if file.extension().is_none_or(|x| x != kind.extension()) {
                    problems.push(match kind {
                        Kind::Wrong => format!(
                            "{at}: wrong solutions are patches against the solution: start one with `cargo xtask wrong new {} <name>`",
                            ex.id
                        ),
                        Kind::Right => format!("{at}: right solutions are whole `src/lib.rs` files named `<name>.rs`"),
                    });
                    continue;
                }
                let text = fs::read_to_string(&file).unwrap_or_default();
                let text = if kind == Kind::Wrong { split_patch(&text).0 } else { &text };
                let header = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(str::trim);
                let must_fail: Vec<String> = header("//! Must fail:")
                    .unwrap_or_default()
                    .split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect();
                match kind {
                    Kind::Wrong => {
                        if header("//! Wrong:").is_none_or(str::is_empty) {
                            problems.push(format!("{at}: the header needs a `//! Wrong: <the mistake>` line"));
                        }
                        if must_fail.is_empty() {
                            problems.push(format!("{at}: the header needs a `//! Must fail: <test>, ...` line"));
                        }
                    }
                    Kind::Right => {
                        if header("//! Right:").is_none_or(str::is_empty) {
                            problems.push(format!("{at}: the header needs a `//! Right: <the style>` line"));
                        }
                        if !must_fail.is_empty() {
                            problems.push(format!("{at}: a right solution must fail no test; drop `Must fail:`"));
                        }
                    }
                }
                for name in must_fail.iter().filter(|n| !ex.tests.iter().any(|t| &t.name == *n)) {
                    problems.push(format!("{at}: must fail '{name}', which is not a hidden test of {}", ex.id));
                }
                let name = file.file_stem().unwrap_or_default().to_string_lossy().into_owned();
                if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                    problems.push(format!("{at}: name the file with letters, digits and '_' only"));
                    continue;
                }
                found.push(Variant { kind, dir: ex.dir.clone(), id: ex.id.clone(), name, file, must_fail });
            }
        }
    }
    (found, problems)
}

/// Writes each variant as a source tree under `root`: the solution's `src/`
/// (layered over the starter's) with the variant's file replaced, at
/// `<root>/<key>/<dir>/src/`, shaped like `exercises/` so the grader stages it
/// like any other submission. `sources` are [`Variant::source`]'s.
pub fn materialize(course: &Course, variants: &[(&Variant, PathBuf, String)], root: &Path) -> Result<(), Error> {
    let _ = fs::remove_dir_all(root);
    for (v, file, text) in variants {
        let ex = course.exercises.iter().find(|e| e.id == v.id).expect("discovered from the catalogue");
        let src = root.join(v.key()).join(&v.dir).join("src");
        for (rel, from) in layers::files(&layers::solution(course, ex)) {
            write(&src.join(&rel), &fs::read(&from).map_err(|e| Error::io("read a solution", &from, e))?)?;
        }
        write(&src.join(file), text.as_bytes())?;
    }
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(|e| Error::io("create a folder", dir, e))?;
    }
    fs::write(path, bytes).map_err(|e| Error::io("write a file", path, e))
}

/// Where `cargo xtask wrong edit` writes a wrong solution's whole file.
pub fn edit_path(course: &Course, ex: &Exercise, name: &str) -> PathBuf {
    grade::default_scratch(course).join("wrong-edit").join(&ex.dir).join(format!("{name}.rs"))
}

fn patch_path(course: &Course, ex: &Exercise, name: &str) -> PathBuf {
    course.paths.hidden.join(&ex.dir).join("wrong").join(format!("{name}.patch"))
}

/// `cargo xtask wrong edit|new|save <exercise> <name> [file]`; returns what to tell the author.
pub fn wrong(course: &Course, action: &str, id: &str, name: &str, file: Option<&str>) -> Result<String, Error> {
    let ex = course.select(&[id.to_string()])?.remove(0);
    let patch = patch_path(course, ex, name);
    let edit = edit_path(course, ex, name);
    let bad = |why: String| Error::Catalogue { path: patch.clone(), why };
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.is_empty() {
        return Err(bad(format!("name the mistake with letters, digits and '_' only, not '{name}'")));
    }
    match action {
        "new" => {
            if patch.exists() {
                return Err(bad(format!("it exists already: run `cargo xtask wrong edit {} {name}`", ex.id)));
            }
            let target = PathBuf::from(file.unwrap_or("lib.rs"));
            let base = solution_file(course, ex, &target);
            let text = fs::read_to_string(&base).map_err(|e| Error::io("read the solution", &base, e))?;
            let header = "//! Wrong: <what it gets wrong>\n//! Must fail: <hidden test>, <hidden test>\n";
            write(&patch, format!("{header}{}", diff(&target, &text, &text)).as_bytes())?;
            wrong(course, "edit", id, name, None)
        }
        "edit" => {
            let variant = Variant {
                kind: Kind::Wrong,
                dir: ex.dir.clone(),
                id: ex.id.clone(),
                name: name.into(),
                file: patch.clone(),
                must_fail: Vec::new(),
            };
            let save = format!("edit it (header included), then run `cargo xtask wrong save {} {name}`", ex.id);
            if let Ok((_, text)) = variant.source(course) {
                write(&edit, text.as_bytes())?;
                return Ok(format!("{}\n{save}", edit.display()));
            }
            // A stale patch: every hunk that still applies, and the others to redo by hand.
            let text = fs::read_to_string(&patch).map_err(|e| Error::io("read the wrong solution", &patch, e))?;
            let (header, diff) = split_patch(&text);
            let target = Patch::from_str(diff).ok().and_then(|p| patched_file(&p)).unwrap_or_else(|| "lib.rs".into());
            let base = solution_file(course, ex, &target);
            let mut image = fs::read_to_string(&base).map_err(|e| Error::io("read the solution", &base, e))?;
            let (head, hunks) = diff.split_at(diff.find("\n@@ ").map_or(diff.len(), |i| i + 1));
            let mut rejected = String::new();
            for hunk in hunks.split_inclusive('\n').fold(Vec::<String>::new(), |mut all, line| {
                match all.last_mut() {
                    Some(last) if !line.starts_with("@@ ") => last.push_str(line),
                    _ => all.push(line.to_string()),
                }
                all
            }) {
                match Patch::from_str(&format!("{head}{hunk}")).ok().and_then(|p| diffy::apply(&image, &p).ok()) {
                    Some(next) => image = next,
                    None => rejected.push_str(&hunk),
                }
            }
            write(&edit, format!("{header}\n{image}").as_bytes())?;
            Ok(format!("{}\nthese hunks no longer apply; redo them by hand:\n{rejected}{save}", edit.display()))
        }
        "save" => {
            let text = fs::read_to_string(&edit).map_err(|e| Error::io("read the edited wrong solution", &edit, e))?;
            let Some(end) = text.lines().position(|l| l.starts_with(LAST_HEADER_LINE)) else {
                return Err(bad(format!(
                    "{}: keep the header, ending with its `{LAST_HEADER_LINE}` line",
                    edit.display()
                )));
            };
            let mut lines = text.split_inclusive('\n');
            let header: String = lines.by_ref().take(end + 1).collect();
            let body: String = lines.collect();
            let body = body.strip_prefix('\n').unwrap_or(&body);
            // The file it changed stays the one it changes; a new patch names it already.
            let old = fs::read_to_string(&patch).unwrap_or_default();
            let target = Patch::from_str(split_patch(&old).1)
                .ok()
                .and_then(|p| patched_file(&p))
                .unwrap_or_else(|| PathBuf::from(file.unwrap_or("lib.rs")));
            let base = solution_file(course, ex, &target);
            let original = fs::read_to_string(&base).map_err(|e| Error::io("read the solution", &base, e))?;
            write(&patch, format!("{header}{}", diff(&target, &original, body)).as_bytes())?;
            Ok(format!("wrote {}", patch.display()))
        }
        other => Err(bad(format!("`cargo xtask wrong` takes edit, save or new, not '{other}'"))),
    }
}

fn diff(file: &Path, original: &str, modified: &str) -> String {
    let name = Path::new("src").join(file).display().to_string();
    DiffOptions::new()
        .set_original_filename(format!("a/{name}"))
        .set_modified_filename(format!("b/{name}"))
        .create_patch(original, modified)
        .to_string()
}
