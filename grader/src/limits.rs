//! Grader policy: every bound on learner code and on the tools the grader
//! starts, in one place. `process` enforces them; `verdict` names them.

use std::time::Duration;

use crate::process::Limits;
use crate::sandbox::Sandbox;

/// Output kept of each stream of one test run.
pub const OUTPUT_CAP: usize = 256 << 10;
/// Largest file a test may write.
pub const FILE_CAP: u64 = 64 << 20;
/// Private memory of each test process: room for hundreds of thread stacks,
/// not for a runaway allocation.
pub const MEMORY_CAP: u64 = 4 << 30;
/// Threads and processes of one test run, all together.
pub const TASK_CAP: u64 = 512;
/// Sources of one exercise (`src/`): larger trees are not graded.
pub const SOURCE_CAP: u64 = 8 << 20;
/// Longest verdict message kept of one test.
pub const MESSAGE_CAP: usize = 4000;
/// One cargo build of a whole batch, the course check's included.
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// Listing the tests of a test executable (`--list`).
pub const LIST_TIMEOUT: Duration = Duration::from_secs(30);
/// A quick question to git.
pub const GIT_TIMEOUT: Duration = Duration::from_secs(30);
/// Test processes at once per CPU in a grade. Hidden tests prove overlap with
/// rendezvous and patience, not timing, so two per CPU keep their verdicts
/// (the course check runs eight per CPU beside CPU hogs) and a grade of a few
/// short tests waits less for its slowest wave.
pub const JOBS_PER_CPU: usize = 2;

/// The CPUs this process may use.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// CPU seconds of one test run: twice its wall time, so a single spinning
/// thread times out (and gets the deadlock-or-loop verdict) before it is
/// killed for CPU, while several spinning threads hit the CPU limit.
pub fn cpu_secs(timeout_secs: u64) -> u64 {
    timeout_secs * 2
}

/// The limits of one run of one hidden test. `in_cell`: the run has a cgroup
/// of its own, which caps its tasks; without one, the per-user task limit
/// does (never neither).
pub fn test_run(timeout_secs: u64, sandbox: &Sandbox, in_cell: bool) -> Limits {
    Limits {
        timeout: Duration::from_secs(timeout_secs),
        output_cap: OUTPUT_CAP,
        cpu_secs: Some(cpu_secs(timeout_secs)),
        file_bytes: Some(FILE_CAP),
        memory_bytes: Some(MEMORY_CAP),
        user_tasks: if in_cell { None } else { sandbox.user_tasks_fallback() },
        echo_stderr: false,
    }
}

/// The limits of `--list` on a test executable: no files, little time.
pub fn listing() -> Limits {
    Limits { output_cap: 1 << 20, cpu_secs: Some(30), file_bytes: Some(0), ..Limits::tool(LIST_TIMEOUT) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_without_a_cell_still_has_a_task_cap_unless_root() {
        let sandbox = Sandbox::detect(TASK_CAP);
        let limits = test_run(5, &sandbox, false);
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        assert_eq!(limits.user_tasks.is_some(), !root, "the kernel ignores RLIMIT_NPROC for root only");
        assert_eq!(test_run(5, &sandbox, true).user_tasks, None);
        assert_eq!(limits.cpu_secs, Some(10));
    }
}
