//! The one place that starts processes. Every child runs in its own process group
//! with resource limits, its output read through capped buffers, and is killed
//! together with everything it started when it ends or runs out of time.

// The one module clippy.toml lets start processes.
#![allow(clippy::disallowed_methods)]

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use crate::sandbox::{self, Cell};

/// Bounds for one child process.
#[derive(Debug, Clone)]
pub struct Limits {
    pub timeout: Duration,
    /// Bytes kept of each of stdout and stderr; the rest is read and dropped.
    pub output_cap: usize,
    /// CPU seconds for the whole process (all its threads).
    pub cpu_secs: Option<u64>,
    /// Largest file the process may write.
    pub file_bytes: Option<u64>,
    /// Heap and other private memory of each process (`RLIMIT_DATA`); unlike an
    /// address-space limit it leaves room for many thread stacks.
    pub memory_bytes: Option<u64>,
    /// `RLIMIT_NPROC`: tasks of this user, for when there is no cgroup.
    pub user_tasks: Option<u64>,
    /// Copy the child's stderr to ours as it arrives (still captured): for a
    /// trusted tool whose progress the user should see, such as cargo's build.
    pub echo_stderr: bool,
}

impl Limits {
    /// Generous bounds for trusted tools such as cargo.
    pub fn tool(timeout: Duration) -> Limits {
        Limits {
            timeout,
            output_cap: 64 << 20,
            cpu_secs: None,
            file_bytes: None,
            memory_bytes: None,
            user_tasks: None,
            echo_stderr: false,
        }
    }
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    /// Still running at its deadline: the grader killed it.
    TimedOut,
    /// Neither a code nor a signal (the platform did not say).
    Unknown,
}

/// One thread of a process stopped at its deadline, as `/proc` showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadState {
    /// `main` for the process's first thread (libtest's harness).
    pub name: String,
    /// The kernel's state letter: `R`, `S`, `D`, `T`, `Z`...
    pub state: Option<char>,
    /// The kernel function the thread sleeps in, if any.
    pub wchan: Option<String>,
}

/// Captured output of one stream: its first bytes, and how many were dropped.
#[derive(Debug, Default, Clone)]
pub struct Capped {
    /// The first bytes, up to half the cap.
    pub bytes: Vec<u8>,
    /// The last bytes, up to half the cap, once the head is full: a verdict is
    /// usually printed last.
    pub tail: std::collections::VecDeque<u8>,
    /// Bytes read and dropped between head and tail.
    pub dropped: u64,
}

impl Capped {
    pub fn text(&self) -> String {
        let mut text = String::from_utf8_lossy(&self.bytes).into_owned();
        if self.dropped > 0 {
            text.push_str(&format!("\n[... {} bytes of output left out ...]\n", self.dropped));
        }
        let (a, b) = self.tail.as_slices();
        text.push_str(&String::from_utf8_lossy(&[a, b].concat()));
        text
    }

    fn push(&mut self, mut data: &[u8], cap: usize) {
        let head_room = (cap / 2).saturating_sub(self.bytes.len()).min(data.len());
        self.bytes.extend_from_slice(&data[..head_room]);
        data = &data[head_room..];
        let tail_cap = cap - cap / 2;
        if data.len() >= tail_cap {
            self.dropped += (self.tail.len() + data.len() - tail_cap) as u64;
            self.tail.clear();
            self.tail.extend(&data[data.len() - tail_cap..]);
        } else {
            let overflow = (self.tail.len() + data.len()).saturating_sub(tail_cap);
            self.tail.drain(..overflow);
            self.dropped += overflow as u64;
            self.tail.extend(data);
        }
    }
}

#[derive(Debug)]
pub struct Finished {
    /// `None` when the child was killed for running out of time.
    pub exit: Exit,
    pub stdout: Capped,
    pub stderr: Capped,
    pub elapsed: Duration,
    /// What the child's threads were doing when time ran out, read from /proc.
    pub stuck_threads: Vec<ThreadState>,
}

/// Runs `cmd` to completion or until `limits.timeout`, then kills its process group.
pub fn run(cmd: Command, limits: &Limits) -> std::io::Result<Finished> {
    run_in(cmd, limits, None)
}

/// Like [`run`], with the child inside `cell` (see `sandbox`): everything it
/// starts is counted against the cell's task cap and killed with it.
pub fn run_in(mut cmd: Command, limits: &Limits, cell: Option<&Cell>) -> std::io::Result<Finished> {
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    cmd.process_group(0);
    let rlimits = [
        (libc::RLIMIT_CORE, Some(0)),
        (libc::RLIMIT_CPU, limits.cpu_secs),
        (libc::RLIMIT_FSIZE, limits.file_bytes),
        (libc::RLIMIT_DATA, limits.memory_bytes),
        (libc::RLIMIT_NPROC, limits.user_tasks),
    ];
    let procs = cell.map(|c| c.procs_path().clone());
    die_with_parent(&mut cmd);
    // SAFETY: between fork and exec only async-signal-safe calls run
    // (setrlimit, and open/write/close to join the cgroup).
    unsafe {
        cmd.pre_exec(move || {
            if let Some(procs) = &procs {
                sandbox::join_in_child(procs)?;
            }
            for (resource, value) in rlimits {
                if let Some(value) = value {
                    set_limit(resource, value);
                }
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let pid = child.id() as libc::pid_t;
    let cap = limits.output_cap;
    let out = read_capped(child.stdout.take().expect("piped stdout"), cap, false);
    let err = read_capped(child.stderr.take().expect("piped stderr"), cap, limits.echo_stderr);

    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let (exit, stuck_threads) = match rx.recv_timeout(limits.timeout) {
        Ok(status) => (to_exit(status?), Vec::new()),
        Err(_) => {
            let stuck = threads_of(pid);
            kill_group(pid);
            let _ = rx.recv();
            (Exit::TimedOut, stuck)
        }
    };
    let elapsed = start.elapsed();
    // Whatever the child left behind in its group (grandchildren) goes too, and
    // with a cgroup also what left the group.
    kill_group(pid);
    if let Some(cell) = cell {
        cell.kill_all();
    }
    Ok(Finished { exit, stdout: collect(out), stderr: collect(err), elapsed, stuck_threads })
}

/// A child left running until dropped, then killed with its whole process group:
/// for load generators beside a run, never for learner code.
pub struct Background {
    child: std::process::Child,
}

/// Starts `cmd` in the background with no input or output.
pub fn start_background(mut cmd: Command) -> std::io::Result<Background> {
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0);
    die_with_parent(&mut cmd);
    Ok(Background { child: cmd.spawn()? })
}

/// Starts `cmd` with piped stdin and stdout (stderr dropped), for a benchmark
/// that talks to a tool of ours; killed with its group when dropped.
pub fn start_piped(mut cmd: Command) -> std::io::Result<Background> {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).process_group(0);
    die_with_parent(&mut cmd);
    Ok(Background { child: cmd.spawn()? })
}

/// Every child runs in a process group of its own, out of reach of the
/// terminal's Ctrl-C: should this process die (Ctrl-C, a kill), the kernel
/// kills the child too, so a deadlocked test is not left running for ever.
/// (Its own children are the timeout's and the cgroup's to end, which die with
/// us; the child's death closes most of them.)
fn die_with_parent(cmd: &mut Command) {
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: prctl and getppid are async-signal-safe system calls.
    unsafe {
        cmd.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // Died before the request took effect: nobody is left to wait for us.
            if libc::getppid() != parent {
                libc::_exit(1);
            }
            Ok(())
        });
    }
}

impl Background {
    /// The child's stdin and stdout, when started with [`start_piped`].
    pub fn pipes(&mut self) -> (Option<std::process::ChildStdin>, Option<std::process::ChildStdout>) {
        (self.child.stdin.take(), self.child.stdout.take())
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        kill_group(self.child.id() as libc::pid_t);
        let _ = self.child.wait();
    }
}

fn set_limit(resource: libc::__rlimit_resource_t, value: u64) {
    let lim = libc::rlimit { rlim_cur: value, rlim_max: value };
    // SAFETY: plain syscall on a valid struct.
    unsafe { libc::setrlimit(resource, &lim) };
}

fn kill_group(pid: libc::pid_t) {
    // SAFETY: signals the process group the child leads; ESRCH once it is gone.
    unsafe { libc::kill(-pid, libc::SIGKILL) };
}

fn to_exit(status: std::process::ExitStatus) -> Exit {
    match (status.code(), status.signal()) {
        (Some(code), _) => Exit::Code(code),
        (None, Some(sig)) => Exit::Signal(sig),
        (None, None) => Exit::Unknown,
    }
}

type Reader = mpsc::Receiver<Capped>;

fn read_capped(mut pipe: impl Read + Send + 'static, cap: usize, echo: bool) -> Reader {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut kept = Capped::default();
        let mut buf = [0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if echo {
                        // Progress only: a closed stderr must not stop the capture.
                        let _ = std::io::stderr().write_all(&buf[..n]);
                    }
                    kept.push(&buf[..n], cap)
                }
            }
        }
        let _ = tx.send(kept);
    });
    rx
}

/// A process that escaped the group may still hold the pipe open: wait a little,
/// then give up on the rest of its output rather than on the verdict.
fn collect(reader: Reader) -> Capped {
    reader.recv_timeout(Duration::from_secs(2)).unwrap_or_else(|_| Capped {
        bytes: b"[output unavailable: a process outside the test's group kept it open]".to_vec(),
        ..Capped::default()
    })
}

/// The threads of `pid` in the order the kernel numbered them.
fn threads_of(pid: libc::pid_t) -> Vec<ThreadState> {
    let Ok(entries) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut threads: Vec<(u64, ThreadState)> = entries
        .flatten()
        .filter_map(|e| {
            let tid: u64 = e.file_name().to_str()?.parse().ok()?;
            let read = |f: &str| std::fs::read_to_string(e.path().join(f)).unwrap_or_default();
            let name = if tid == pid as u64 { "main".to_string() } else { read("comm").trim().to_string() };
            let wchan = read("wchan");
            let wchan = (!wchan.is_empty() && wchan != "0").then_some(wchan);
            Some((tid, ThreadState { name, state: crate::contract::stat_state(&read("stat")), wchan }))
        })
        .collect();
    threads.sort_by_key(|(tid, _)| *tid);
    threads.into_iter().map(|(_, t)| t).collect()
}

/// The name of a signal number, for verdicts.
pub fn signal_name(sig: i32) -> &'static str {
    match sig {
        libc::SIGABRT => "SIGABRT",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGBUS => "SIGBUS",
        libc::SIGILL => "SIGILL",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGPIPE => "SIGPIPE",
        _ => "a signal",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str, timeout_ms: u64) -> Finished {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        let limits = Limits { output_cap: 16, ..Limits::tool(Duration::from_millis(timeout_ms)) };
        run(cmd, &limits).unwrap()
    }

    #[test]
    fn captures_exit_code_and_caps_output() {
        let f = sh("printf 0123456789abcdefXYZ; exit 3", 5000);
        assert_eq!(f.exit, Exit::Code(3));
        assert_eq!(f.stdout.dropped, 3);
        assert_eq!(f.stdout.text(), "01234567\n[... 3 bytes of output left out ...]\nbcdefXYZ");
    }

    #[test]
    fn a_timeout_kills_the_whole_group_including_grandchildren() {
        let start = Instant::now();
        let f = sh("sleep 30 & sleep 30", 300);
        assert_eq!(f.exit, Exit::TimedOut);
        assert!(f.stuck_threads.iter().any(|t| t.name == "main" && t.state == Some('S')), "{:?}", f.stuck_threads);
        assert!(start.elapsed() < Duration::from_secs(5), "the grandchild held the pipe");
    }

    #[test]
    fn a_grandchild_left_behind_is_killed_after_a_normal_exit() {
        let start = Instant::now();
        let f = sh("sleep 30 & exit 0", 5000);
        assert_eq!(f.exit, Exit::Code(0));
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn signals_are_reported() {
        let f = sh("kill -ABRT $$", 5000);
        assert_eq!(f.exit, Exit::Signal(libc::SIGABRT));
        assert_eq!(signal_name(libc::SIGABRT), "SIGABRT");
    }
}
