//! Static checks of the course: the catalogue, the exercise, solution and hidden
//! test directories, and the exercise pages all agree.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use grader::catalogue::Course;
use grader::layers;

/// Every disagreement found for the exercises with these ids (all when empty), one
/// line each; empty when they are consistent. Stray directories count only when
/// the whole course is checked.
pub fn problems(course: &Course, ids: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let p = &course.paths;
    for ex in course.exercises.iter().filter(|e| ids.is_empty() || ids.contains(&e.id)) {
        let dir = p.exercises.join(&ex.dir);
        let at = |what: &str| format!("exercise {} ({}): {what}", ex.id, ex.dir);
        match manifest_name(&dir.join("Cargo.toml")) {
            Ok(name) if name == ex.crate_name => {}
            Ok(name) => {
                out.push(at(&format!("Cargo.toml names the package '{name}', the catalogue '{}'", ex.crate_name)))
            }
            Err(why) => out.push(at(&why)),
        }
        match manifest_dependencies(&dir.join("Cargo.toml")) {
            Ok(deps) => {
                for dep in deps.iter().filter(|d| !ex.may_depend_on(course, d)) {
                    out.push(at(&format!(
                        "depends on '{dep}', which the grader does not provide (add it to the exercise's `dependencies` in course.toml)"
                    )));
                }
            }
            Err(why) => out.push(at(&why)),
        }
        let readme = fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        if readme.trim().len() < 200 {
            out.push(at("README.md is missing or too short to teach the exercise"));
        } else if !readme.contains(&format!("cargo test -p {}", ex.crate_name)) {
            out.push(at(&format!("README.md does not say how to run its tests (`cargo test -p {}`)", ex.crate_name)));
        }
        let [_, solution] = layers::solution(course, ex);
        for (what, file) in [
            ("a starter", dir.join("src/lib.rs")),
            ("a solution", solution.join("lib.rs")),
            ("hidden tests", p.hidden.join(&ex.dir).join("hidden.rs")),
        ] {
            if !file.is_file() {
                out.push(at(&format!("{what} is missing: {}", file.display())));
            }
        }
        if !has_rust_files(&dir.join("tests")) {
            out.push(at("has no visible tests in tests/"));
        }
        if let Ok(text) = fs::read_to_string(p.hidden.join(&ex.dir).join("hidden.rs")) {
            let in_file: BTreeSet<String> = test_names(&text).into_iter().collect();
            let listed: BTreeSet<String> = ex.tests.iter().map(|t| t.name.clone()).collect();
            for name in listed.difference(&in_file) {
                out.push(at(&format!("the catalogue lists test '{name}', hidden.rs has no such #[test]")));
            }
            for name in in_file.difference(&listed) {
                out.push(at(&format!("hidden.rs has #[test] '{name}', which the catalogue does not list (no points)")));
            }
        }
    }
    for root in [&p.exercises, &p.solutions, &p.hidden].into_iter().filter(|_| ids.is_empty()) {
        for name in subdirs(root) {
            if !course.exercises.iter().any(|e| e.dir == name) {
                out.push(format!("{}: directory '{name}' is not in course.toml", root.join(&name).display()));
            }
        }
    }
    out
}

fn manifest(path: &Path) -> Result<toml::Table, String> {
    let text = fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), grader::catalogue::toml_error(&text, &e)))
}

fn manifest_name(path: &Path) -> Result<String, String> {
    let table = manifest(path)?;
    let name = table.get("package").and_then(|p| p.get("name")).and_then(|n| n.as_str());
    name.map(String::from).ok_or_else(|| format!("{} has no [package] name", path.display()))
}

fn manifest_dependencies(path: &Path) -> Result<Vec<String>, String> {
    let table = manifest(path)?;
    Ok(table.get("dependencies").and_then(|d| d.as_table()).map(|d| d.keys().cloned().collect()).unwrap_or_default())
}

/// Solution files of `ex` that are the starter's own, byte for byte: a solution
/// holds only the files that differ (`grader::layers`). Meaningful only while
/// `exercises/<dir>/src/` is the recorded starter.
pub fn starter_files_in_solution(course: &Course, ex: &grader::catalogue::Exercise) -> Vec<String> {
    let [starter, solution] = layers::solution(course, ex);
    layers::files(std::slice::from_ref(&solution))
        .into_iter()
        .filter(|(rel, file)| fs::read(file).ok() == fs::read(starter.join(rel)).ok())
        .map(|(_, file)| {
            format!("exercise {} ({}): {} is the starter's file: delete it", ex.id, ex.dir, file.display())
        })
        .collect()
}

/// Names of the `#[test]` functions in a test file.
pub fn test_names(source: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut armed = false;
    for line in source.lines().map(str::trim) {
        if line == "#[test]" {
            armed = true;
        } else if armed && let Some(rest) = line.strip_prefix("fn ") {
            names.push(rest.split(['(', '<']).next().unwrap_or_default().trim().to_string());
            armed = false;
        } else if armed && !line.starts_with("#[") {
            armed = false;
        }
    }
    names
}

fn subdirs(root: &Path) -> Vec<String> {
    let Ok(entries) = fs::read_dir(root) else { return Vec::new() };
    let mut names: Vec<String> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
}

fn has_rust_files(dir: &Path) -> bool {
    fs::read_dir(dir).is_ok_and(|entries| entries.flatten().any(|e| e.path().extension().is_some_and(|x| x == "rs")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_test_functions_after_their_attribute() {
        let src =
            "#[test]\nfn a() {}\n#[test]\n#[should_panic]\nfn b() {}\nfn helper() {}\n#[test]\n    fn c<T>() {}\n";
        assert_eq!(test_names(src), ["a", "b", "c"]);
    }
}
