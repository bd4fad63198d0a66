//! Wrong: times the whole loop of process creations and hands out n copies of
//! the average instead of one sample per process.
//! Must fail: each_process_sample_lasts_from_spawn_to_exit

use std::io::{self, Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
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
        let mut sorted = samples.to_vec();
        sorted.sort();
        let n = sorted.len();
        let (&min, &max) = (sorted.first()?, sorted.last()?);
        let median = if n % 2 == 1 { sorted[n / 2] } else { (sorted[n / 2 - 1] + sorted[n / 2]) / 2 };
        Some(Stats { n, min, median, max })
    }
}

/// Times `n` thread creations: each sample spawns a new thread that runs
/// `work` once, and joins it. Returns the `n` samples in order.
pub fn thread_create_join<F>(n: usize, work: F) -> Vec<Duration>
where
    F: Fn() + Send + Sync + 'static,
{
    let work = Arc::new(work);
    (0..n)
        .map(|_| {
            // Cloning the Arc is not part of what we measure.
            let work = Arc::clone(&work);
            let start = Instant::now();
            let joined = thread::spawn(move || work()).join();
            let elapsed = start.elapsed();
            if let Err(panic) = joined {
                std::panic::resume_unwind(panic);
            }
            elapsed
        })
        .collect()
}

/// Times `n` process creations: each sample builds a command with `command()`,
/// then spawns it as a child process and waits for it to exit. Returns the `n`
/// samples in order, or the error of a child that could not be started.
pub fn process_spawn_wait<F>(n: usize, mut command: F) -> io::Result<Vec<Duration>>
where
    F: FnMut() -> Command,
{
    let start = Instant::now();
    for _ in 0..n {
        command().status()?;
    }
    let average = start.elapsed() / n.max(1) as u32;
    Ok(vec![average; n])
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
    // Pipes, like the process version: only the shared address space differs.
    let (mut ping_rx, mut ping_tx) = io::pipe()?;
    let (mut pong_rx, mut pong_tx) = io::pipe()?;
    let partner = thread::spawn(move || -> io::Result<()> {
        let mut ball = [0u8];
        // A read of 0 bytes: the other end is closed, the game is over.
        while ping_rx.read(&mut ball)? == 1 {
            ball[0] = echo(ball[0]);
            pong_tx.write_all(&ball)?;
        }
        Ok(())
    });
    let mut samples = Vec::with_capacity(n);
    let mut ball = [0u8];
    for _ in 0..n {
        let start = Instant::now();
        ping_tx.write_all(&ball)?;
        pong_rx.read_exact(&mut ball)?;
        samples.push(start.elapsed());
    }
    drop(ping_tx);
    match partner.join() {
        Ok(result) => result?,
        Err(panic) => std::panic::resume_unwind(panic),
    }
    Ok(samples)
}

/// Times `n` round trips of a one-byte ball between this process and a child
/// process: `partner` is spawned once with its stdin and stdout piped, and
/// echoes every byte it reads (like `cat`). The first ball is `0`; after that,
/// each round sends the byte that came back. Returns one sample per round trip.
/// The child has exited and been waited for when this returns.
pub fn process_ping_pong(n: usize, mut partner: Command) -> io::Result<Vec<Duration>> {
    let mut child = partner.stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
    let mut to_child = child.stdin.take().expect("stdin is piped");
    let mut from_child = child.stdout.take().expect("stdout is piped");
    let mut samples = Vec::with_capacity(n);
    let mut play = || -> io::Result<()> {
        let mut ball = [0u8];
        for _ in 0..n {
            let start = Instant::now();
            to_child.write_all(&ball)?;
            from_child.read_exact(&mut ball)?;
            samples.push(start.elapsed());
        }
        Ok(())
    };
    let played = play();
    // Closing its input ends the partner; wait for it even after an error.
    drop(to_child);
    child.wait()?;
    played?;
    Ok(samples)
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
        let mut out = String::from("| benchmark | n | min | median | max |\n|---|---|---|---|---|\n");
        let rows = [
            ("thread create + join", &self.thread_create),
            ("process spawn + wait", &self.process_create),
            ("thread ping-pong", &self.thread_switch),
            ("process ping-pong", &self.process_switch),
        ];
        for (name, s) in rows {
            out += &format!("| {name} | {} | {:.1?} | {:.1?} | {:.1?} |\n", s.n, s.min, s.median, s.max);
        }
        out += "\n";
        out += &format!(
            "creation: a process costs {:.1} times a thread\n",
            ratio(self.process_create.median, self.thread_create.median)
        );
        out += &format!(
            "context switch: a process costs {:.1} times a thread\n",
            ratio(self.process_switch.median, self.thread_switch.median)
        );
        out
    }
}

/// How many times `a` is `b`.
fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}
