//! Fencing learner text in a GitHub Actions log: between
//! `::stop-commands::<token>` and `::<token>::` the runner takes no line for a
//! workflow command, so learner code that prints `::error::` or
//! `::notice title=Autograding complete::Points 100/100` issues nothing. The
//! token is random, so learner code cannot end the fence early.

use std::io::Read;

/// Whether this process runs as a GitHub Actions step.
pub fn github_actions() -> bool {
    std::env::var_os("GITHUB_ACTIONS").is_some_and(|v| v == "true")
}

/// A fence with a fresh random token.
#[derive(Debug, Clone)]
pub struct Fence {
    token: String,
}

impl Fence {
    /// A fence under GitHub Actions, else `None` (nothing to fence against).
    pub fn for_this_run() -> Option<Fence> {
        github_actions().then(Fence::new)
    }

    pub fn new() -> Fence {
        let mut bytes = [0u8; 16];
        let read = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
        if read.is_err() {
            // No /dev/urandom: still unpredictable enough to learner code that
            // cannot see this process (time, pid and a per-process hash seed).
            use std::hash::{BuildHasher, RandomState};
            let seed = RandomState::new().hash_one((std::process::id(), std::time::SystemTime::now()));
            bytes[..8].copy_from_slice(&seed.to_le_bytes());
            bytes[8..].copy_from_slice(&RandomState::new().hash_one(seed).to_le_bytes());
        }
        Fence { token: bytes.iter().map(|b| format!("{b:02x}")).collect() }
    }

    /// `text` between the fence's lines.
    pub fn wrap(&self, text: &str) -> String {
        let newline = if text.ends_with('\n') || text.is_empty() { "" } else { "\n" };
        format!("::stop-commands::{}\n{text}{newline}::{}::\n", self.token, self.token)
    }
}

impl Default for Fence {
    fn default() -> Fence {
        Fence::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_the_fence_closes_with_its_own() {
        let (a, b) = (Fence::new(), Fence::new());
        assert_ne!(a.token, b.token);
        assert_eq!(a.token.len(), 32);
        let text = a.wrap("::error::x");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines, [format!("::stop-commands::{}", a.token), "::error::x".into(), format!("::{}::", a.token)]);
    }
}
