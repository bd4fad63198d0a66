//! Writes the hidden tests' snapshots from the reference solutions, for review.
//! Grading never writes snapshots; this is the author's side of insta's workflow:
//! run, copy what changed into `grader/hidden/exercises/<dir>/snapshots/`, then
//! review it with `git diff` before committing.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use grader::catalogue::Course;
use grader::compile;
use grader::error::Error;
use grader::grade::{self, Options};
use grader::model::Mode;
use grader::process::{self, Exit, Limits};
use grader::stage::paths;

pub fn run(root: &Path, ids: &[String]) -> Result<(), Error> {
    let course = Course::load(root)?;
    let scratch = grade::default_scratch(&course);
    for ex in course.select(ids)? {
        // Stages and builds the solution with its hidden tests.
        let mut opts = Options::new(Mode::Solutions);
        opts.ids = vec![ex.id.clone()];
        opts.runner.scratch = Some(scratch.clone());
        grade::grade(&course, &opts)?;

        let ws = paths::workspace(&scratch, "solutions");
        let staged = paths::member(&scratch, "solutions", "solutions", &ex.dir).join("tests").join("snapshots");
        let mut cmd = Command::new(compile::cargo());
        cmd.current_dir(&ws)
            .args(["test", "--quiet", "--test", "hidden", "--package", &ex.crate_name, "--target-dir"])
            .arg(paths::target_dir(&scratch))
            .env("INSTA_UPDATE", "always")
            .env("INSTA_FORCE_PASS", "0")
            .env("INSTA_WORKSPACE_ROOT", &ws)
            .env_remove("CI")
            // One at a time: several hidden tests count their process's threads.
            .args(["--", "--test-threads=1"]);
        compile::neutralize_cargo_env(&mut cmd);
        let done = process::run(cmd, &Limits::tool(Duration::from_secs(600)))
            .map_err(|e| Error::Tool { tool: "cargo".into(), why: e.to_string() })?;
        if done.exit != Exit::Code(0) {
            println!("{}: some hidden tests failed while writing snapshots:\n{}", ex.id, done.stdout.text());
        }
        let target = course.paths.hidden.join(&ex.dir).join("snapshots");
        let Ok(entries) = fs::read_dir(&staged) else {
            println!("{}: no snapshots", ex.id);
            continue;
        };
        fs::create_dir_all(&target).map_err(|e| Error::io("create the snapshot directory", &target, e))?;
        for entry in entries.flatten().filter(|e| e.path().extension().is_some_and(|x| x == "snap")) {
            let new = fs::read(entry.path()).map_err(|e| Error::io("read a snapshot", &entry.path(), e))?;
            let dest = target.join(entry.file_name());
            if fs::read(&dest).ok().as_deref() != Some(&new[..]) {
                fs::write(&dest, &new).map_err(|e| Error::io("write a snapshot", &dest, e))?;
                println!("{}: wrote {}", ex.id, dest.display());
            }
        }
    }
    println!("review the snapshots with `git diff`, then commit them");
    Ok(())
}
