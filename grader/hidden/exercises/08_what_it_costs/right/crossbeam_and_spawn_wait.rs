//! Right: a crossbeam scope for each thread, `spawn()` and `wait()` for the
//! processes, crossbeam channels for the thread ping-pong, a BufReader on the
//! child's stdout, and the statistics from min/max plus select_nth_unstable.

use std::io::{self, BufReader, Read, Write};
use std::process::{Command, Stdio};
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
        let min = *samples.iter().min()?;
        let max = *samples.iter().max()?;
        let n = samples.len();
        let mut copy = samples.to_vec();
        let upper = *copy.select_nth_unstable(n / 2).1;
        let median = if n % 2 == 1 {
            upper
        } else {
            let lower = *copy[..n / 2].iter().max().expect("n is even and at least 2");
            (lower + upper) / 2
        };
        Some(Stats { n, min, median, max })
    }
}

/// Times `n` thread creations: each sample spawns a new thread that runs
/// `work` once, and joins it. Returns the `n` samples in order.
pub fn thread_create_join<F>(n: usize, work: F) -> Vec<Duration>
where
    F: Fn() + Send + Sync + 'static,
{
    let mut samples = Vec::with_capacity(n);
    while samples.len() < n {
        let start = Instant::now();
        crossbeam::scope(|s| {
            s.spawn(|_| work());
        })
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
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
    let mut samples = vec![];
    for _ in 0..n {
        let mut cmd = command();
        let start = Instant::now();
        let mut child = cmd.spawn()?;
        child.wait()?;
        let elapsed = start.elapsed();
        samples.push(elapsed);
    }
    Ok(samples)
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
    let (ping, ping_rx) = crossbeam::channel::bounded::<u8>(0);
    let (pong_tx, pong) = crossbeam::channel::bounded::<u8>(0);
    let partner = std::thread::spawn(move || {
        while let Ok(ball) = ping_rx.recv() {
            if pong_tx.send(echo(ball)).is_err() {
                return;
            }
        }
    });
    let mut ball = 0u8;
    let mut samples = Vec::new();
    for _ in 0..n {
        let start = Instant::now();
        ping.send(ball).expect("the partner waits for every ball");
        ball = pong.recv().expect("the partner answers every ball");
        samples.push(start.elapsed());
    }
    drop(ping);
    if let Err(panic) = partner.join() {
        std::panic::resume_unwind(panic);
    }
    Ok(samples)
}

/// Times `n` round trips of a one-byte ball between this process and a child
/// process: `partner` is spawned once with its stdin and stdout piped, and
/// echoes every byte it reads (like `cat`). The first ball is `0`; after that,
/// each round sends the byte that came back. Returns one sample per round trip.
/// The child has exited and been waited for when this returns.
pub fn process_ping_pong(n: usize, mut partner: Command) -> io::Result<Vec<Duration>> {
    partner.stdin(Stdio::piped());
    partner.stdout(Stdio::piped());
    let mut child = partner.spawn()?;
    let mut to_child = child.stdin.take().expect("piped");
    let mut from_child = BufReader::new(child.stdout.take().expect("piped"));
    let mut samples = Vec::new();
    let mut ball = [0u8];
    let played: io::Result<()> = (0..n).try_for_each(|_| {
        let start = Instant::now();
        to_child.write_all(&ball)?;
        to_child.flush()?;
        from_child.read_exact(&mut ball)?;
        samples.push(start.elapsed());
        Ok(())
    });
    drop(to_child);
    let waited = child.wait();
    played?;
    waited?;
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
        let row = |name: &str, s: &Stats| {
            format!("| {name} | {} | {:.1?} | {:.1?} | {:.1?} |\n", s.n, s.min, s.median, s.max)
        };
        let ratio = |p: &Stats, t: &Stats| p.median.as_secs_f64() / t.median.as_secs_f64();
        [
            "| benchmark | n | min | median | max |\n".to_string(),
            "|---|---|---|---|---|\n".to_string(),
            row("thread create + join", &self.thread_create),
            row("process spawn + wait", &self.process_create),
            row("thread ping-pong", &self.thread_switch),
            row("process ping-pong", &self.process_switch),
            "\n".to_string(),
            format!(
                "creation: a process costs {:.1} times a thread\n",
                ratio(&self.process_create, &self.thread_create)
            ),
            format!(
                "context switch: a process costs {:.1} times a thread\n",
                ratio(&self.process_switch, &self.thread_switch)
            ),
        ]
        .concat()
    }
}
