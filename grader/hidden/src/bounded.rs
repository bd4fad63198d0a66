//! Bounded calls of learner code: the call runs on a thread of its own and the
//! test waits for it at most a patience, so a call that never returns fails with
//! the test's own message instead of hanging until the grader's timeout.

use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// The call had not returned within the patience (its thread is left behind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Late;

/// Runs `call` on a thread named `name` and waits at most `patience`. A panic in
/// the call goes on in the caller, with its own payload.
pub fn bounded<T: Send + 'static>(
    name: &str,
    patience: Duration,
    call: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Late> {
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name(name.into())
        .spawn(move || {
            let _ = tx.send(panic::catch_unwind(AssertUnwindSafe(call)));
        })
        .expect("spawn a thread for a bounded call");
    match rx.recv_timeout(patience) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => Err(Late),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_the_value_or_late() {
        assert_eq!(bounded("quick", Duration::from_secs(5), || 42), Ok(42));
        let name = bounded("named", Duration::from_secs(5), || thread::current().name().map(String::from));
        assert_eq!(name, Ok(Some("named".into())));
        let (_keep, wait) = mpsc::channel::<()>();
        assert_eq!(bounded("stuck", Duration::from_millis(20), move || wait.recv().is_ok()), Err(Late));
    }

    #[test]
    fn a_panic_goes_on_in_the_caller() {
        let payload = panic::catch_unwind(|| bounded("panics", Duration::from_secs(5), || panic!("learner bug")));
        assert_eq!(crate::panic_text(&*payload.unwrap_err()).as_deref(), Some("learner bug"));
    }
}
