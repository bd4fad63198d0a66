//! Facts the grader and the hidden tests must agree on. No dependencies: the
//! grader compiles this very file into itself (`#[path]`), since neither crate
//! may depend on the other (the grader would pull in every course crate, the
//! hidden tests the grader's command line).

/// The exit code of a test process ended by the deadlock watchdog.
pub const DEADLOCK_EXIT: i32 = 86;

/// The state letter of a `/proc/.../stat` line (`R`, `S`, `D`, `Z`...). The
/// thread's name in parentheses may hold anything, spaces and `)` included, so
/// the state is read after the last `)`.
pub fn stat_state(stat: &str) -> Option<char> {
    stat[stat.rfind(')')? + 1..].trim_start().chars().next()
}
