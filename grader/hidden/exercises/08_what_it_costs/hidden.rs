//! Hidden tests for exercise 08: the benchmarks really create the threads and
//! processes they time (counted through the test's own work closure and child
//! commands), the ping-pongs really bounce between two threads and through one
//! child process, the statistics are right, a process costs more to create than
//! a thread, and the report has every row and column.
//!
//! No test judges a duration by speed. The only claim about costs compares the
//! fastest process creation with the fastest thread creation of the same run,
//! 10x apart or more even on a busy machine. Where a sample's extent is checked,
//! the bounds hold whatever the load: a sample around a sleep of the test's own
//! lasts at least that sleep, and samples, being separate intervals inside one
//! call, add up to no more than the call.

use std::collections::HashSet;
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use hidden::{EndCount, Late, PATIENCE};
use what_it_costs::{Report, Stats, process_ping_pong, process_spawn_wait, thread_create_join, thread_ping_pong};

/// Few samples: the tests count what was created, they do not need precision.
const THREADS: usize = 30;
const PROCESSES: usize = 20;
const ROUNDS: usize = 50;

fn us(micros: u64) -> Duration {
    Duration::from_micros(micros)
}

// ---------------------------------------------------------------- statistics

#[test]
fn stats_are_min_median_max_of_the_samples() {
    let cases: [(&[Duration], Option<Stats>); 4] = [
        // Sorted: 10 20 40 70 90; the unsorted middle would be 70.
        (&[us(40), us(10), us(70), us(20), us(90)], Some(Stats { n: 5, min: us(10), median: us(40), max: us(90) })),
        // Sorted: 10 20 30 50 60 80; the median is (30 + 50) / 2.
        (
            &[us(60), us(10), us(80), us(30), us(50), us(20)],
            Some(Stats { n: 6, min: us(10), median: us(40), max: us(80) }),
        ),
        (&[us(7)], Some(Stats { n: 1, min: us(7), median: us(7), max: us(7) })),
        (&[], None),
    ];
    for (samples, want) in cases {
        let got = Stats::from_samples(samples);
        assert_eq!(
            got, want,
            "Stats::from_samples({samples:?}) gave {got:?}, expected {want:?}: min is the smallest sample, max the \
             largest, the median the middle one once a copy is sorted (for an even number of samples, the mean of \
             the two middle ones); no samples give None"
        );
    }
}

/// What every benchmark must give: `n` positive samples whose stats are in order.
fn assert_sane(what: &str, samples: &[Duration], n: usize) {
    assert_eq!(samples.len(), n, "{what} returned {} samples for n = {n}: one sample per measurement", samples.len());
    assert!(
        samples.iter().all(|s| !s.is_zero()),
        "{what} returned a zero sample: start the clock just before the work and read it right after"
    );
    let stats = Stats::from_samples(samples);
    let ok = stats.is_some_and(|s| s.n == n && !s.min.is_zero() && s.min <= s.median && s.median <= s.max);
    assert!(ok, "the stats of {what}'s {n} samples are {stats:?}: expected n = {n} and 0 < min <= median <= max");
}

/// How long the test makes one sample's operation take (a sleep: at least this
/// long, however busy the machine), and which sample it is.
const SLOW: Duration = Duration::from_millis(300);
const SLOW_SAMPLE: usize = 3;

/// Samples are separate intervals inside the call, so together they never last
/// longer than the call itself (`wall`), nor than `wall` minus `outside`, the
/// time spent in the test's own code that the samples must leave out. Sample
/// `SLOW_SAMPLE` contains an operation that lasted at least `SLOW`. `how` says
/// where the clock starts and stops.
fn assert_each_sample_is_its_own(
    what: &str,
    how: &str,
    samples: &[Duration],
    wall: Duration,
    outside: Option<(Duration, &str)>,
) {
    let sum: Duration = samples.iter().sum();
    assert!(
        sum <= wall,
        "the {} samples of {what} add up to {sum:?}, more than the {wall:?} the whole call took: each sample must \
         be an interval of its own (start the clock anew for every sample). A clock started once before the loop \
         gives running totals, not samples",
        samples.len()
    );
    if samples.len() > 1 && samples.windows(2).all(|w| w[0] == w[1]) {
        panic!(
            "all {} samples of {what} are the same, {:?}, though sample {SLOW_SAMPLE} lasted at least {SLOW:?} \
             (the test made sure of it): time every operation on its own. Dividing the time of the whole loop by n \
             gives n copies of an average",
            samples.len(),
            samples[0]
        );
    }
    if let Some((outside, why)) = outside {
        assert!(
            sum + outside <= wall,
            "the samples of {what} add up to {sum:?}, and {why} in {outside:?}, of the {wall:?} the whole call \
             took: more than the whole, so the clock was running while {why}. Do that before you start the clock"
        );
    }
    let slow = samples.get(SLOW_SAMPLE).copied().unwrap_or_default();
    if slow >= SLOW {
        return;
    }
    let longest = samples.iter().copied().max().unwrap_or_default();
    if longest >= SLOW {
        let at = samples.iter().position(|s| *s == longest).unwrap_or_default();
        panic!(
            "sample {SLOW_SAMPLE} of {what} (counting from 0) lasted at least {SLOW:?}, the test made sure of it, \
             but it came back at index {at}: return the samples in the order they were measured (do not sort \
             them)"
        );
    }
    panic!(
        "sample {SLOW_SAMPLE} of {what} (counting from 0) lasted at least {SLOW:?}, the test made sure of it, but \
         it was measured as {slow:?}, and no sample is that long: {how}"
    );
}

// ----------------------------------------------------- threads, counted

#[test]
fn thread_benchmark_creates_a_thread_per_sample() {
    let caller = thread::current().id();
    let seen: Arc<Mutex<Vec<ThreadId>>> = Arc::default();
    let exited = EndCount::new();
    let (log, count) = (Arc::clone(&seen), exited.clone());
    let samples = thread_create_join(THREADS, move || {
        log.lock().unwrap().push(thread::current().id());
        count.count_me();
    });
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        THREADS,
        "for n = {THREADS} the work ran {} times: every sample creates one thread that runs `work` once",
        seen.len()
    );
    assert!(!seen.contains(&caller), "the work ran on the calling thread: every sample must spawn a new thread");
    let distinct: HashSet<&ThreadId> = seen.iter().collect();
    assert_eq!(
        distinct.len(),
        THREADS,
        "{THREADS} samples ran the work on only {} distinct threads: create (and join) a new thread for every \
         sample; handing work to a thread that already exists measures a hand-over, not a creation",
        distinct.len()
    );
    let ended = exited.wait_for(THREADS, PATIENCE);
    assert_eq!(ended, THREADS, "only {ended} of {THREADS} threads had ended: join every thread you create");
    assert_sane("thread_create_join", &samples, THREADS);
}

#[test]
fn each_thread_sample_lasts_from_spawn_to_join() {
    let calls = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&calls);
    let start = Instant::now();
    let samples = thread_create_join(8, move || {
        // The thread of sample SLOW_SAMPLE takes SLOW: its sample must cover it.
        if count.fetch_add(1, Ordering::SeqCst) == SLOW_SAMPLE {
            thread::sleep(SLOW);
        }
    });
    let wall = start.elapsed();
    assert_eq!(samples.len(), 8, "thread_create_join returned {} samples for n = 8", samples.len());
    assert_each_sample_is_its_own(
        "thread_create_join",
        "start the clock just before spawn and read it right after join, so that a sample covers the whole life \
         of its thread",
        &samples,
        wall,
        None,
    );
}

// ------------------------------------------------- processes, counted

/// A file in the temporary directory, removed when dropped.
struct TempFile(PathBuf);

impl TempFile {
    fn new(what: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("threadlings-08-{what}-{}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        TempFile(path)
    }

    fn read(&self) -> Vec<u8> {
        std::fs::read(&self.0).unwrap_or_default()
    }

    /// The process ids that children wrote, one a line.
    fn pids(&self) -> Vec<libc::pid_t> {
        String::from_utf8_lossy(&self.read()).lines().filter_map(|l| l.trim().parse().ok()).collect()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A shell that appends its own process id to `log`, then runs `then`.
fn logging_shell(log: &TempFile, then: &str) -> Command {
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(format!(r#"echo $$ >> "$0"; {then}"#)).arg(&log.0);
    cmd
}

/// Every child must have been waited for: then it is no longer our child.
fn assert_reaped(pids: &[libc::pid_t], what: &str) {
    for &pid in pids {
        let mut status = 0;
        // SAFETY: a plain syscall; WNOHANG never blocks.
        let got = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        let errno = std::io::Error::last_os_error().raw_os_error();
        assert!(
            got == -1 && errno == Some(libc::ECHILD),
            "child process {pid} was {} after {what} returned: wait for every child you spawn (`status()`, or \
             `spawn()` then `wait()`)",
            if got == 0 { "still running" } else { "never waited for" }
        );
    }
}

#[test]
fn process_benchmark_spawns_a_process_per_sample() {
    let log = TempFile::new("spawned");
    let samples = process_spawn_wait(PROCESSES, || logging_shell(&log, "exit 0"))
        .expect("process_spawn_wait could not run /bin/sh");
    let pids = log.pids();
    assert!(
        !pids.is_empty(),
        "the command was never run as a process: each sample must spawn the command it is given as a child \
         process (a thread is not a process)"
    );
    assert_eq!(
        pids.len(),
        PROCESSES,
        "for n = {PROCESSES} the command ran as {} processes: every sample spawns a new child and waits for it \
         (spawning once and timing several waits measures nothing)",
        pids.len()
    );
    let distinct: HashSet<&libc::pid_t> = pids.iter().collect();
    assert_eq!(distinct.len(), PROCESSES, "the children's process ids {pids:?} repeat: each sample is a new process");
    assert!(!pids.contains(&(std::process::id() as libc::pid_t)), "a sample ran in the test's own process");
    assert_reaped(&pids, "process_spawn_wait");
    assert_sane("process_spawn_wait", &samples, PROCESSES);
}

#[test]
fn each_process_sample_lasts_from_spawn_to_exit() {
    const BUILD: Duration = Duration::from_millis(40);
    let (mut built, mut building) = (0, Duration::ZERO);
    let start = Instant::now();
    let samples = process_spawn_wait(6, || {
        // Building a command takes BUILD here: it must stay outside the samples.
        let begin = Instant::now();
        thread::sleep(BUILD);
        // The process of sample SLOW_SAMPLE takes SLOW: its sample must cover it.
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c").arg(if built == SLOW_SAMPLE { format!("sleep {}", SLOW.as_secs_f64()) } else { "exit 0".into() });
        built += 1;
        building += begin.elapsed();
        cmd
    })
    .expect("process_spawn_wait could not run /bin/sh");
    let wall = start.elapsed();
    assert_eq!(samples.len(), 6, "process_spawn_wait returned {} samples for n = 6", samples.len());
    assert_eq!(built, 6, "for n = 6, command() was called {built} times: build one command per sample");
    assert_each_sample_is_its_own(
        "process_spawn_wait",
        "start the clock just before you spawn the command and read it once the child has exited (`status()`, \
         or `spawn()` and then `wait()`), so that a sample covers the whole life of its process; `spawn()` \
         alone returns as soon as the child has started",
        &samples,
        wall,
        Some((building, "command() was building the commands")),
    );
}

#[test]
fn a_command_that_cannot_start_gives_an_error() {
    let missing = "/nonexistent/threadlings-08-no-such-program";
    let mut built = 0;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        process_spawn_wait(3, || {
            built += 1;
            Command::new(missing)
        })
    }));
    match result {
        Ok(Err(_)) => {}
        Ok(Ok(samples)) => panic!(
            "process_spawn_wait gave {} samples for a program that does not exist ({missing}): when a child cannot \
             be started, return that error (the `?` after `status()` or `spawn()`)",
            samples.len()
        ),
        Err(_) => panic!(
            "process_spawn_wait panicked for a program that does not exist ({missing}): return the error of the \
             child that could not be started instead, as its doc comment says (`?`, not `unwrap`)"
        ),
    }
    assert!(built >= 1, "process_spawn_wait never called command()");
}

// ------------------------------------------------------------ ping-pong

/// Runs `call` (of the function `name`) on a thread of its own and waits for
/// it, twice the patience at most: a call that does not return fails with `why`
/// instead of hanging.
fn bounded<T: Send + 'static>(name: &str, why: &str, call: impl FnOnce() -> T + Send + 'static) -> T {
    hidden::bounded(name, 2 * PATIENCE, call)
        .unwrap_or_else(|Late| panic!("{name} had not returned after {:?}. {why}", 2 * PATIENCE))
}

/// The test's partner changes the ball, so the sequence it receives shows
/// whether every round sent back what came back.
fn hit(ball: u8) -> u8 {
    ball.wrapping_mul(5).wrapping_add(3)
}

#[test]
fn thread_ping_pong_bounces_between_two_threads() {
    let calls: Arc<Mutex<Vec<(ThreadId, u8)>>> = Arc::default();
    let exited = EndCount::new();
    let (log, count) = (Arc::clone(&calls), exited.clone());
    let (caller, samples, wall) = bounded(
        "thread_ping_pong",
        "Does every ball reach the partner at once (no BufWriter keeping it), and do you drop your writing end \
         before you join the partner? Until then it waits for the next ball, and the join waits for it",
        move || {
            let start = Instant::now();
            let samples = thread_ping_pong(ROUNDS, move |ball| {
                let mut log = log.lock().unwrap();
                log.push((thread::current().id(), ball));
                count.count_me();
                // The answer in round SLOW_SAMPLE takes SLOW: that round's sample must cover it.
                if log.len() == SLOW_SAMPLE + 1 {
                    thread::sleep(SLOW);
                }
                hit(ball)
            })
            .expect("thread_ping_pong failed");
            (thread::current().id(), samples, start.elapsed())
        },
    );
    let calls = calls.lock().unwrap().clone();
    assert_eq!(
        calls.len(),
        ROUNDS,
        "in {ROUNDS} rounds the partner answered {} times: every round sends one byte and waits for its answer",
        calls.len()
    );
    let threads: HashSet<ThreadId> = calls.iter().map(|c| c.0).collect();
    assert!(
        !threads.contains(&caller),
        "`echo` ran on the calling thread: the partner must be a second thread, or nothing ever switches"
    );
    assert_eq!(threads.len(), 1, "`echo` ran on {} threads: one partner thread answers every round", threads.len());
    let got: Vec<u8> = calls.iter().map(|c| c.1).collect();
    let want: Vec<u8> = std::iter::successors(Some(0u8), |&b| Some(hit(b))).take(ROUNDS).collect();
    assert_eq!(
        got, want,
        "the partner received these balls: start with 0, and in every round send the byte that came back in the \
         round before (wait for each answer before the next send)"
    );
    let ended = exited.wait_for(1, PATIENCE);
    assert_eq!(
        ended, 1,
        "the partner thread was still running after thread_ping_pong returned: close your end so that it sees \
         the end of the game, and join it"
    );
    assert_sane("thread_ping_pong", &samples, ROUNDS);
    assert_each_sample_is_its_own(
        "thread_ping_pong",
        "one sample per round trip: start the clock before you send the ball and read it when the answer is back",
        &samples,
        wall,
        None,
    );
}

#[test]
fn process_ping_pong_bounces_through_a_child_process() {
    let (log, echoed, held) = (TempFile::new("partner"), TempFile::new("echoed"), TempFile::new("held"));
    // `dd bs=1` and `tee -a` echo each byte at once (they do not buffer), and
    // tee keeps a copy. The ball of round SLOW_SAMPLE is held for SLOW after it
    // has arrived, so that round lasts at least SLOW.
    let mut partner = logging_shell(
        &log,
        &format!(
            r#"dd bs=1 count={SLOW_SAMPLE} status=none | tee -a "$1"; dd bs=1 count=1 status=none of="$2"; sleep {}; tee -a "$1" < "$2"; exec tee -a "$1""#,
            SLOW.as_secs_f64()
        ),
    );
    partner.arg(&echoed.0).arg(&held.0);
    let (samples, wall) = bounded(
        "process_ping_pong",
        "Does every ball reach the child at once (written straight into its stdin, not through a BufWriter that \
         keeps it), and do you close the child's stdin (drop it) before you wait for the child? Until then it \
         waits for the next ball, and the wait waits for it",
        move || {
            let start = Instant::now();
            let samples = process_ping_pong(ROUNDS, partner).expect("process_ping_pong failed");
            (samples, start.elapsed())
        },
    );
    let pids = log.pids();
    assert!(
        !pids.is_empty(),
        "the partner command never ran: spawn the command you are given as a child process with piped stdin \
         and stdout (a second thread is not a second process)"
    );
    assert_eq!(
        pids.len(),
        1,
        "the partner was started {} times: spawn it once and play every round with it",
        pids.len()
    );
    let bytes = echoed.read().len();
    assert_eq!(
        bytes, ROUNDS,
        "{bytes} bytes went through the child in {ROUNDS} rounds: every round writes one byte to its stdin and \
         reads one byte back from its stdout"
    );
    assert_reaped(&pids, "process_ping_pong");
    assert_sane("process_ping_pong", &samples, ROUNDS);
    assert_each_sample_is_its_own(
        "process_ping_pong",
        "one sample per round trip: start the clock before you write the ball and read it when the answer is back",
        &samples,
        wall,
        None,
    );
}

// ---------------------------------------------------------------- costs

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted[sorted.len() / 2]
}

/// Compares the fastest samples: load only ever adds to a sample, so the
/// minimum is the cost itself. Medians are 5-30x apart on an idle machine but
/// came within 3x, in 2 runs of 60 even below 1x, with the machine busy; the
/// minimums stay 10x apart. A round lost to a burst of load is played again.
#[test]
fn a_process_costs_more_to_create_than_a_thread() {
    const ROUNDS: usize = 3;
    let fastest = |s: &[Duration]| s.iter().copied().min().unwrap_or_default();
    let mut seen = Vec::new();
    for round in 0..ROUNDS {
        let measure_threads = || thread_create_join(THREADS, || {});
        let measure_processes =
            || process_spawn_wait(THREADS, || Command::new("true")).expect("process_spawn_wait could not run true");
        // Alternate which goes first, so a burst of load cannot always hit the same one.
        let (threads, processes) = if round % 2 == 0 {
            let t = measure_threads();
            (t, measure_processes())
        } else {
            let p = measure_processes();
            (measure_threads(), p)
        };
        assert_eq!((threads.len(), processes.len()), (THREADS, THREADS), "each benchmark gives n samples");
        let (t, p) = (fastest(&threads), fastest(&processes));
        if p > t {
            return;
        }
        seen.push(format!(
            "fastest process {p:?}, fastest thread {t:?} (medians {:?} and {:?})",
            median(&processes),
            median(&threads)
        ));
    }
    panic!(
        "in {ROUNDS} rounds a process (spawn + wait of `true`) never cost more than a thread (create + join): {}. \
         A process should cost several times a thread: does the clock run around the whole spawn and wait, and \
         around the whole create and join?",
        seen.join("; ")
    );
}

// --------------------------------------------------------------- report

/// Durations in tenths of a microsecond, so that `{:.1?}` shows every digit.
fn stats(n: usize, min: u64, median: u64, max: u64) -> Stats {
    let tenths = |t: u64| Duration::from_nanos(t * 100);
    Stats { n, min: tenths(min), median: tenths(median), max: tenths(max) }
}

#[test]
fn report_table_matches_its_snapshot() {
    let report = Report {
        thread_create: stats(200, 312, 450, 2103),
        process_create: stats(201, 7025, 9000, 14_000),
        thread_switch: stats(2000, 79, 82, 603),
        process_switch: stats(2001, 81, 86, 701),
    };
    let text = report.render();
    let rows = [
        ("thread create + join", report.thread_create),
        ("process spawn + wait", report.process_create),
        ("thread ping-pong", report.thread_switch),
        ("process ping-pong", report.process_switch),
    ];
    for (name, s) in rows {
        let want = format!("| {name} | {} | {:.1?} | {:.1?} | {:.1?} |", s.n, s.min, s.median, s.max);
        assert!(
            text.lines().any(|l| l == want),
            "the report has no line `{want}`: one row per benchmark with n, min, median and max in that order, \
             durations written with {{:.1?}}. The report was:\n{text}"
        );
    }
    for want in ["creation: a process costs 20.0 times a thread", "context switch: a process costs 1.0 times a thread"]
    {
        assert!(
            text.lines().any(|l| l == want),
            "the report has no line `{want}`: the ratio is the process's median divided by the thread's, written \
             with {{:.1}}. The report was:\n{text}"
        );
    }
    assert!(
        text.ends_with('\n') && !text.ends_with("\n\n"),
        "every line of the report ends with a newline, the last one too, and nothing follows it; the report \
         ended with {:?}",
        text.chars().rev().take(24).collect::<Vec<char>>().into_iter().rev().collect::<String>()
    );
    hidden::snapshot_settings().bind(|| hidden::insta::assert_snapshot!("report", text));
}
