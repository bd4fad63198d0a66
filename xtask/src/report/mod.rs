//! `cargo xtask report`: the learner's progress report from the history
//! (`index.html`, `report.md`, `report.json`), or with `--class` the class's
//! (`class.html`, `class.csv` for Canvas, `class-moodle.csv`, `class.json`).
//! Pages are self-contained and deterministic: the same input gives the same bytes.

pub mod chart;
pub mod class;
pub mod html;
pub mod json;
pub mod markdown;
pub mod model;
pub mod time;

use std::fs;
use std::path::{Path, PathBuf};

use grader::catalogue::Course;
use grader::error::Error;
use grader::history;

/// Where the reports go unless `--out` says otherwise, under the course root.
pub const DEFAULT_OUT: &str = "target/threadlings/report";

/// The learner's report of `history_file` into `out`; the files written.
pub fn learner(course: &Course, history_file: &Path, out: &Path) -> Result<Vec<PathBuf>, Error> {
    if !history_file.is_file() {
        return Err(Error::Catalogue {
            path: history_file.to_path_buf(),
            why:
                "no progress history here: grade some exercises first with `cargo grade`, which records each run in it"
                    .into(),
        });
    }
    let history = history::read_history(history_file)?;
    let report = model::learner(course, &history);
    write(
        out,
        &[
            ("index.html", html::learner(&report)),
            ("report.md", markdown::learner(&report)),
            ("report.json", json::render(&report)),
        ],
    )
}

/// The class report of the folder `dir` into `out`: the files written, and the
/// entries that could not be read (also named in the pages).
pub fn class(course: &Course, dir: &Path, out: &Path) -> Result<(Vec<PathBuf>, Vec<class::Problem>), Error> {
    if !dir.is_dir() {
        return Err(Error::Catalogue {
            path: dir.to_path_buf(),
            why: "no class folder here: make one with a <learner>.json (`cargo grade --format json`) or a <learner>/history.jsonl per learner".into(),
        });
    }
    let report = class::read(course, dir)?;
    let files = write(
        out,
        &[
            ("class.html", html::class(&report)),
            ("class.csv", class::canvas_csv(course, &report)),
            ("class-moodle.csv", class::moodle_csv(course, &report)),
            ("class.json", json::render(&report)),
        ],
    )?;
    Ok((files, report.problems))
}

fn write(out: &Path, files: &[(&str, String)]) -> Result<Vec<PathBuf>, Error> {
    fs::create_dir_all(out).map_err(|e| Error::io("create the report folder", out, e))?;
    files
        .iter()
        .map(|(name, text)| {
            let path = out.join(name);
            fs::write(&path, text).map_err(|e| Error::io("write the report", &path, e))?;
            Ok(path)
        })
        .collect()
}

/// The command: `--history FILE`, `--class DIR`, `--out DIR`, relative to the working directory.
pub fn run(
    root: &Path,
    history_file: Option<&Path>,
    class_dir: Option<&Path>,
    out: Option<&Path>,
) -> Result<(), Error> {
    let course = Course::load(root)?;
    let out = out.map_or_else(|| root.join(DEFAULT_OUT), Path::to_path_buf);
    let files = match class_dir {
        Some(dir) => {
            let (files, problems) = class(&course, dir, &out)?;
            for p in &problems {
                eprintln!("warning: skipped {}: {}", dir.join(&p.entry).display(), p.why);
            }
            files
        }
        None => learner(&course, history_file.unwrap_or(&course.paths.history), &out)?,
    };
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}
