//! Bounds on everything one test run may start: a cgroup with a cap on tasks
//! (threads and processes alike) where the machine offers one, which also finds
//! every process a test left behind, even those that left its process group.
//! Without a cgroup, `RLIMIT_NPROC` bounds tasks for an unprivileged user (it is
//! ignored for root, hence the cgroup).

use std::ffi::CString;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Where cgroups for test runs can be made, if anywhere.
#[derive(Debug, Clone)]
pub struct Sandbox {
    parent: Option<PathBuf>,
    tasks: u64,
}

/// One test run's cgroup; dropping it kills what is left in it and removes it.
#[derive(Debug)]
pub struct Cell {
    dir: PathBuf,
    /// `cgroup.procs`, ready for the child to write its own pid before exec.
    procs: CString,
}

static CELLS: AtomicUsize = AtomicUsize::new(0);

impl Sandbox {
    /// Finds a cgroup hierarchy with the pids controller that this process may
    /// make children in. `tasks` caps threads plus processes of one test run.
    pub fn detect(tasks: u64) -> Sandbox {
        let parent = candidates().into_iter().find(|dir| probe(dir, tasks));
        Sandbox { parent, tasks }
    }

    pub fn has_cgroups(&self) -> bool {
        self.parent.is_some()
    }

    pub fn tasks(&self) -> u64 {
        self.tasks
    }

    /// `RLIMIT_NPROC` for an unprivileged user: the tasks the user has now plus
    /// room for the test's own. `None` for root, where the kernel ignores it.
    pub fn user_tasks_fallback(&self) -> Option<u64> {
        // SAFETY: geteuid has no preconditions.
        let uid = unsafe { libc::geteuid() };
        (uid != 0).then(|| user_task_count(uid) + self.tasks)
    }

    /// A fresh cgroup for one run, or `None` where cgroups are not available.
    pub fn cell(&self) -> Option<Cell> {
        let parent = self.parent.as_ref()?;
        let n = CELLS.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("threadlings-{}-{n}", std::process::id()));
        make_cell(&dir, self.tasks).ok()
    }
}

impl Cell {
    pub fn procs_path(&self) -> &CString {
        &self.procs
    }

    /// Kills every process in the cgroup until none is left (new ones may be
    /// forked while we kill; the task cap keeps that finite).
    pub fn kill_all(&self) {
        for _ in 0..100 {
            let pids = read_pids(&self.dir.join("cgroup.procs"));
            if pids.is_empty() {
                return;
            }
            for pid in pids {
                // SAFETY: signals a process of this cgroup; ESRCH if it just ended.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

impl Drop for Cell {
    fn drop(&mut self) {
        self.kill_all();
        // The kernel frees a cgroup once its last task is reaped; retry briefly.
        for _ in 0..100 {
            if fs::remove_dir(&self.dir).is_ok() || !self.dir.exists() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// Our own cgroup in the v1 pids hierarchy, then in the unified (v2) one.
fn candidates() -> Vec<PathBuf> {
    let own = fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mut dirs = Vec::new();
    for line in own.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
        let path = path.trim_start_matches('/');
        if controllers.split(',').any(|c| c == "pids") {
            dirs.insert(0, Path::new("/sys/fs/cgroup/pids").join(path));
        } else if controllers.is_empty() {
            for root in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"] {
                if Path::new(root).join("cgroup.controllers").exists() {
                    dirs.push(Path::new(root).join(path));
                }
            }
        }
    }
    dirs
}

/// Can we make a child cgroup here with a working `pids.max`?
fn probe(dir: &Path, tasks: u64) -> bool {
    let test = dir.join(format!("threadlings-probe-{}", std::process::id()));
    let ok = make_cell(&test, tasks).is_ok();
    let _ = fs::remove_dir(&test);
    ok
}

fn make_cell(dir: &Path, tasks: u64) -> std::io::Result<Cell> {
    fs::create_dir(dir)?;
    let setup = fs::write(dir.join("pids.max"), tasks.to_string());
    if let Err(e) = setup {
        let _ = fs::remove_dir(dir);
        return Err(e);
    }
    let procs = CString::new(dir.join("cgroup.procs").as_os_str().as_encoded_bytes())
        .map_err(|_| std::io::Error::other("a cgroup path with a NUL byte"))?;
    Ok(Cell { dir: dir.to_path_buf(), procs })
}

/// Threads of all processes owned by `uid`, from /proc.
fn user_task_count(uid: libc::uid_t) -> u64 {
    let Ok(entries) = fs::read_dir("/proc") else { return 0 };
    entries
        .flatten()
        .filter_map(|e| fs::read_to_string(e.path().join("status")).ok())
        .filter(|status| {
            status
                .lines()
                .any(|l| l.strip_prefix("Uid:").and_then(|v| v.split_whitespace().next()) == Some(&uid.to_string()))
        })
        .filter_map(|status| {
            status.lines().find_map(|l| l.strip_prefix("Threads:")).and_then(|v| v.trim().parse::<u64>().ok())
        })
        .sum()
}

fn read_pids(path: &Path) -> Vec<libc::pid_t> {
    fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| l.trim().parse().ok()).collect()
}

/// Moves the calling process into the cgroup whose `cgroup.procs` is `procs`.
/// Runs between fork and exec: only raw system calls, no allocation.
pub fn join_in_child(procs: &CString) -> std::io::Result<()> {
    // SAFETY: open/write/close on a valid C string and a stack buffer.
    unsafe {
        let fd = libc::open(procs.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        let mut buf = [0u8; 20];
        let mut n = libc::getpid() as u64;
        let mut i = buf.len();
        loop {
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let written = libc::write(fd, buf[i..].as_ptr().cast(), buf.len() - i);
        libc::close(fd);
        if written < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_caps_tasks_and_leaves_nothing_behind() {
        let sandbox = Sandbox::detect(8);
        let Some(cell) = sandbox.cell() else {
            eprintln!("no writable pids cgroup here: the rlimit fallback applies");
            return;
        };
        let dir = cell.dir.clone();
        assert_eq!(fs::read_to_string(dir.join("pids.max")).unwrap().trim(), "8");
        drop(cell);
        assert!(!dir.exists(), "the cgroup is removed when the run ends");
    }
}
