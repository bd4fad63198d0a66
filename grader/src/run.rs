//! Runs hidden tests: each run of each test in its own bounded process, several
//! tests at a time, repeats stopping at the first run that does not pass.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::limits;
use crate::model::Status;
use crate::process::{self, Exit};
use crate::sandbox::Sandbox;
use crate::verdict;

/// One hidden test to run `repeat` times.
pub struct Job {
    pub exe: PathBuf,
    pub name: String,
    pub repeat: u32,
    pub timeout_secs: u64,
    /// The scratch workspace: the test's working directory and insta's root.
    pub workspace: PathBuf,
    /// Which submission the test belongs to, for progress reports.
    pub owner: usize,
}

/// Names one job: its submission (the owner) and its test.
pub type JobKey = (usize, String);

impl Job {
    pub fn key(&self) -> JobKey {
        (self.owner, self.name.clone())
    }
}

pub struct Outcome {
    pub status: Status,
    pub message: String,
    pub runs: u32,
    pub duration: Duration,
}

/// Lists the tests in a libtest executable.
pub fn list(exe: &Path, workspace: &Path) -> Result<Vec<String>, String> {
    let mut cmd = test_command(exe, workspace);
    cmd.args(["--list", "--format", "terse"]);
    let done = process::run(cmd, &limits::listing()).map_err(|e| format!("could not start {}: {e}", exe.display()))?;
    if done.exit != Exit::Code(0) {
        return Err(format!("listing the tests of {} failed: {}", exe.display(), done.stderr.text().trim()));
    }
    Ok(done.stdout.text().lines().filter_map(|l| l.strip_suffix(": test")).map(String::from).collect())
}

/// Runs every job, `parallel` at a time, each run bounded by `sandbox`;
/// outcomes come back keyed by job. `job_done` hears of every finished job:
/// its owner, and whether it was the owner's last.
pub fn run_all(
    jobs: &[Job],
    parallel: usize,
    sandbox: &Sandbox,
    job_done: &(dyn Fn(usize, bool) + Sync),
) -> std::collections::HashMap<JobKey, Outcome> {
    let next = AtomicUsize::new(0);
    let outcomes: Vec<Mutex<Option<Outcome>>> = jobs.iter().map(|_| Mutex::new(None)).collect();
    let mut left: std::collections::BTreeMap<usize, AtomicUsize> = std::collections::BTreeMap::new();
    for job in jobs {
        left.entry(job.owner).or_default().fetch_add(1, Ordering::Relaxed);
    }
    std::thread::scope(|s| {
        for _ in 0..parallel.clamp(1, jobs.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(job) = jobs.get(i) else { break };
                    *outcomes[i].lock().unwrap() = Some(run_one(job, i, sandbox));
                    job_done(job.owner, left[&job.owner].fetch_sub(1, Ordering::AcqRel) == 1);
                }
            });
        }
    });
    jobs.iter().zip(outcomes).map(|(job, o)| (job.key(), o.into_inner().unwrap().expect("every job ran"))).collect()
}

fn run_one(job: &Job, index: usize, sandbox: &Sandbox) -> Outcome {
    let mut duration = Duration::ZERO;
    for run in 1..=job.repeat {
        let tmp = RunTmp::new(&job.workspace, index);
        let mut cmd = test_command(&job.exe, &job.workspace);
        cmd.args(["--exact", &job.name, "--test-threads", "1"]);
        if let Some(dir) = &tmp.0 {
            cmd.env("TMPDIR", dir);
        }
        // A run whose cgroup could not be made is capped by the user limit.
        let cell = sandbox.cell();
        let limits = limits::test_run(job.timeout_secs, sandbox, cell.is_some());
        let finished = match process::run_in(cmd, &limits, cell.as_ref()) {
            Ok(f) => f,
            Err(e) => {
                let message = format!("could not start the test executable {}: {e}", job.exe.display());
                return Outcome { status: Status::NotRun, message, runs: run, duration };
            }
        };
        duration += finished.elapsed;
        let v = verdict::classify(&job.name, &finished, job.timeout_secs);
        if v.status != Status::Passed {
            let message =
                if job.repeat > 1 { format!("run {run} of {}: {}", job.repeat, v.message) } else { v.message };
            return Outcome { status: v.status, message, runs: run, duration };
        }
    }
    Outcome { status: Status::Passed, message: String::new(), runs: job.repeat, duration }
}

/// A run's own temporary directory, removed when the run is over: what a test
/// killed at its deadline left in it does not pile up in the system's `/tmp`.
struct RunTmp(Option<PathBuf>);

impl RunTmp {
    /// Under the scratch workspace; `None` (the inherited `TMPDIR`) if it
    /// cannot be made.
    fn new(workspace: &Path, index: usize) -> RunTmp {
        let dir = workspace.join("tmp").join(format!("{}-{index}", std::process::id()));
        RunTmp(std::fs::create_dir_all(&dir).ok().map(|_| dir))
    }
}

impl Drop for RunTmp {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// A test process with a clean environment: nothing the learner's shell or an
/// outer cargo set leaks in, and snapshots are compared, never written.
fn test_command(exe: &Path, workspace: &Path) -> Command {
    let mut cmd = Command::new(exe);
    cmd.current_dir(workspace).env_clear();
    for key in ["PATH", "HOME", "TMPDIR", "LANG"] {
        if let Some(value) = std::env::var_os(key) {
            cmd.env(key, value);
        }
    }
    cmd.env("RUST_BACKTRACE", "0")
        .env("INSTA_UPDATE", "no")
        .env("INSTA_FORCE_PASS", "0")
        .env("INSTA_WORKSPACE_ROOT", workspace)
        .env("CI", "true")
        .env("NO_COLOR", "1");
    cmd
}
