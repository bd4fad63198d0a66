//! Errors of the user and of the environment, each one line naming the thing and
//! the fix, each mapped to a documented exit code.

use std::fmt;
use std::path::{Path, PathBuf};

/// Exit codes, documented in the README and `cargo grade --help`.
pub mod exit {
    /// Graded, and every graded test passed.
    pub const PASSED: u8 = 0;
    /// Graded, and some test did not pass.
    pub const NOT_PASSED: u8 = 1;
    /// The command line or the course catalogue is wrong.
    pub const USAGE: u8 = 2;
    /// The environment failed: a missing tool, an unreadable or unwritable path.
    pub const ENVIRONMENT: u8 = 3;

    /// Each code with its meaning: the one text `--help` and the README show.
    pub const DOCUMENTED: [(u8, &str); 4] = [
        (PASSED, "every graded test passed"),
        (NOT_PASSED, "some graded test did not pass"),
        (
            USAGE,
            "the command line or the course catalogue is wrong (unknown exercise, bad option, malformed course.toml)",
        ),
        (
            ENVIRONMENT,
            "the environment failed (cargo missing, a path that cannot be read or written, a build that cargo could not start)",
        ),
    ];
}

#[derive(Debug)]
pub enum Error {
    Usage(String),
    NoCourse {
        start: PathBuf,
    },
    Catalogue {
        path: PathBuf,
        why: String,
    },
    UnknownExercise {
        id: String,
        known: Vec<String>,
    },
    /// A path named on the command line that cannot be used as it is; `why`
    /// says what is wrong with it and what to do.
    BadPath {
        path: PathBuf,
        why: String,
    },
    Io {
        doing: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    Tool {
        tool: String,
        why: String,
    },
    Build {
        why: String,
    },
}

impl Error {
    pub fn io(doing: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Io { doing, path: path.to_path_buf(), source }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_)
            | Error::NoCourse { .. }
            | Error::Catalogue { .. }
            | Error::UnknownExercise { .. }
            | Error::BadPath { .. } => exit::USAGE,
            Error::Io { .. } | Error::Tool { .. } | Error::Build { .. } => exit::ENVIRONMENT,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(why) => write!(f, "{why} (see `cargo grade --help`)"),
            Error::NoCourse { start } => write!(
                f,
                "no course.toml in {} or any parent: run this from inside the threadlings checkout",
                start.display()
            ),
            Error::Catalogue { path, why } => write!(f, "{}: {why}", path.display()),
            Error::UnknownExercise { id, known } => write!(
                f,
                "there is no exercise '{id}': use an id, directory or crate name from the catalogue ({})",
                known.join(", ")
            ),
            Error::BadPath { path, why } => write!(f, "{} {why}", path.display()),
            Error::Io { doing, path, source } => {
                write!(f, "could not {doing} at {}: {source}", path.display())
            }
            Error::Tool { tool, why } => write!(f, "{tool}: {why}"),
            Error::Build { why } => write!(f, "building the exercises failed: {why}"),
        }
    }
}

impl std::error::Error for Error {}
