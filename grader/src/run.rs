//! Runs hidden tests: each run of each test in its own bounded process, several
//! tests at a time, repeats stopping at the first run that does not pass.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::model::Status;
use crate::process::{self, Exit, Limits};
use crate::sandbox::Sandbox;
use crate::verdict;

/// Output kept of each stream of one test run.
const OUTPUT_CAP: usize = 256 << 10;
/// Largest file a test may write.
const FILE_CAP: u64 = 64 << 20;
/// Private memory of each test process: room for hundreds of thread stacks,
/// not for a runaway allocation.
pub const MEMORY_CAP: u64 = 4 << 30;
/// Threads and processes of one test run, all together.
pub const TASK_CAP: u64 = 512;

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
    let limits = Limits {
        output_cap: 1 << 20,
        cpu_secs: Some(30),
        file_bytes: Some(0),
        ..Limits::tool(Duration::from_secs(30))
    };
    let done = process::run(cmd, &limits).map_err(|e| format!("could not start {}: {e}", exe.display()))?;
    if done.exit != Some(Exit::Code(0)) {
        return Err(format!("listing the tests of {} failed: {}", exe.display(), done.stderr.text().trim()));
    }
    Ok(done.stdout.text().lines().filter_map(|l| l.strip_suffix(": test")).map(String::from).collect())
}

/// Runs every job, `parallel` at a time, each run bounded by `sandbox`;
/// outcomes come back in job order. `job_done` hears of every finished job:
/// its owner, and whether it was the owner's last.
pub fn run_all(
    jobs: &[Job],
    parallel: usize,
    sandbox: &Sandbox,
    job_done: &(dyn Fn(usize, bool) + Sync),
) -> Vec<Outcome> {
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
                    *outcomes[i].lock().unwrap() = Some(run_one(job, sandbox));
                    job_done(job.owner, left[&job.owner].fetch_sub(1, Ordering::AcqRel) == 1);
                }
            });
        }
    });
    outcomes.into_iter().map(|o| o.into_inner().unwrap().expect("every job ran")).collect()
}

fn run_one(job: &Job, sandbox: &Sandbox) -> Outcome {
    let limits = Limits {
        timeout: Duration::from_secs(job.timeout_secs),
        output_cap: OUTPUT_CAP,
        // Twice the wall time: a single spinning thread times out first.
        cpu_secs: Some(job.timeout_secs * 2),
        file_bytes: Some(FILE_CAP),
        memory_bytes: Some(MEMORY_CAP),
        user_tasks: if sandbox.has_cgroups() { None } else { sandbox.user_tasks_fallback() },
        echo_stderr: false,
    };
    let mut duration = Duration::ZERO;
    for run in 1..=job.repeat {
        let mut cmd = test_command(&job.exe, &job.workspace);
        cmd.args(["--exact", &job.name, "--test-threads", "1"]);
        let cell = sandbox.cell();
        let finished = match process::run_in(cmd, &limits, cell.as_ref()) {
            Ok(f) => f,
            Err(e) => {
                let message = format!("could not start the test executable {}: {e}", job.exe.display());
                return Outcome { status: Status::NotBuilt, message, runs: run, duration };
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
