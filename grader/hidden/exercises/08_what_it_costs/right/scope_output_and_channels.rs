//! Right: a std scope instead of Arc for the threads, `output()` for the
//! processes, two mpsc channels for the thread ping-pong, an f64 mean for the
//! median, `writeln!` for the report.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// A summary of timings: how many, the fastest, the middle one and the slowest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub n: usize,
    pub min: Duration,
    /// The middle sample once the samples are sorted; for an even number of
    /// samples, the mean of the two in the middle.
    pub median: Duration,
    pub max: Duration,
}

impl Stats {
    /// Summarises `samples`, which come in the order they were measured.
    /// Returns `None` when there are no samples.
    pub fn from_samples(samples: &[Duration]) -> Option<Stats> {
        if samples.is_empty() {
            return None;
        }
        let mut sorted = samples.to_vec();
        sorted.sort_unstable();
        let n = sorted.len();
        let median = if n.is_multiple_of(2) {
            Duration::from_secs_f64((sorted[n / 2 - 1].as_secs_f64() + sorted[n / 2].as_secs_f64()) / 2.0)
        } else {
            sorted[n / 2]
        };
        Some(Stats { n, min: sorted[0], median, max: sorted[n - 1] })
    }
}

/// Times `n` thread creations: each sample spawns a new thread that runs
/// `work` once, and joins it. Returns the `n` samples in order.
pub fn thread_create_join<F>(n: usize, work: F) -> Vec<Duration>
where
    F: Fn() + Send + Sync + 'static,
{
    let work = &work;
    let mut samples = Vec::new();
    for _ in 0..n {
        let start = Instant::now();
        thread::scope(|s| {
            s.spawn(work);
        });
        samples.push(start.elapsed());
    }
    samples
}

/// Times `n` process creations: each sample builds a command with `command()`,
/// then spawns it as a child process and waits for it to exit. Returns the `n`
/// samples in order, or the error of a child that could not be started.
pub fn process_spawn_wait<F>(n: usize, mut command: F) -> io::Result<Vec<Duration>>
where
    F: FnMut() -> Command,
{
    (0..n)
        .map(|_| {
            let mut cmd = command();
            let start = Instant::now();
            cmd.output()?;
            Ok(start.elapsed())
        })
        .collect()
}

/// Times `n` round trips of a one-byte ball between the calling thread and a
/// partner thread. The partner answers every byte `b` it receives with
/// `echo(b)`. The first ball is `0`; after that, each round sends the byte
/// that came back in the round before. Returns one sample per round trip.
/// The partner thread has finished when this returns.
pub fn thread_ping_pong<E>(n: usize, mut echo: E) -> io::Result<Vec<Duration>>
where
    E: FnMut(u8) -> u8 + Send + 'static,
{
    let (to_partner, partner_inbox) = mpsc::channel::<u8>();
    let (to_me, my_inbox) = mpsc::channel::<u8>();
    let partner = thread::spawn(move || {
        for ball in partner_inbox {
            if to_me.send(echo(ball)).is_err() {
                break;
            }
        }
    });
    let mut samples = Vec::with_capacity(n);
    let mut ball = 0;
    for _ in 0..n {
        let start = Instant::now();
        to_partner.send(ball).map_err(|_| io::Error::other("the partner has gone"))?;
        ball = my_inbox.recv().map_err(|_| io::Error::other("the partner has gone"))?;
        samples.push(start.elapsed());
    }
    drop(to_partner);
    partner.join().map_err(|_| io::Error::other("the partner panicked"))?;
    Ok(samples)
}

/// Times `n` round trips of a one-byte ball between this process and a child
/// process: `partner` is spawned once with its stdin and stdout piped, and
/// echoes every byte it reads (like `cat`). The first ball is `0`; after that,
/// each round sends the byte that came back. Returns one sample per round trip.
/// The child has exited and been waited for when this returns.
pub fn process_ping_pong(n: usize, mut partner: Command) -> io::Result<Vec<Duration>> {
    let mut child = partner.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    let (Some(mut input), Some(mut output)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(io::Error::other("the partner's stdin and stdout are not piped"));
    };
    let mut samples = Vec::with_capacity(n);
    let mut ball = [0u8; 1];
    let mut result = Ok(());
    for _ in 0..n {
        let start = Instant::now();
        if let Err(e) = input.write_all(&ball).and_then(|()| output.read_exact(&mut ball)) {
            result = Err(e);
            break;
        }
        samples.push(start.elapsed());
    }
    drop(input);
    child.wait()?;
    result.map(|()| samples)
}

/// The four measurements side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub thread_create: Stats,
    pub process_create: Stats,
    pub thread_switch: Stats,
    pub process_switch: Stats,
}

impl Report {
    /// The report as a Markdown table and two ratios of medians, exactly:
    ///
    /// ```text
    /// | benchmark | n | min | median | max |
    /// |---|---|---|---|---|
    /// | thread create + join | 200 | 31.2µs | 45.0µs | 210.3µs |
    /// | process spawn + wait | 200 | 702.5µs | 900.0µs | 1.4ms |
    /// | thread ping-pong | 2000 | 7.9µs | 8.2µs | 60.3µs |
    /// | process ping-pong | 2000 | 8.1µs | 8.6µs | 70.1µs |
    ///
    /// creation: a process costs 20.0 times a thread
    /// context switch: a process costs 1.0 times a thread
    /// ```
    ///
    /// Durations are written with `{:.1?}`, ratios with `{:.1}`, and every
    /// line ends with a newline.
    pub fn render(&self) -> String {
        let mut out = String::new();
        writeln!(out, "| benchmark | n | min | median | max |").unwrap();
        writeln!(out, "|---|---|---|---|---|").unwrap();
        for (name, s) in [
            ("thread create + join", self.thread_create),
            ("process spawn + wait", self.process_create),
            ("thread ping-pong", self.thread_switch),
            ("process ping-pong", self.process_switch),
        ] {
            writeln!(out, "| {name} | {} | {:.1?} | {:.1?} | {:.1?} |", s.n, s.min, s.median, s.max).unwrap();
        }
        writeln!(out).unwrap();
        let creation = self.process_create.median.as_nanos() as f64 / self.thread_create.median.as_nanos() as f64;
        let switch = self.process_switch.median.div_duration_f64(self.thread_switch.median);
        writeln!(out, "creation: a process costs {creation:.1} times a thread").unwrap();
        writeln!(out, "context switch: a process costs {switch:.1} times a thread").unwrap();
        out
    }
}
