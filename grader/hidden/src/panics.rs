//! The text of a panic, read the way a learner's code would: a `&str` or a `String`.

use std::any::Any;

/// The payload's text; `None` for a payload of any other type.
pub fn panic_text(payload: &(dyn Any + Send)) -> Option<String> {
    payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned())
}

/// The payload's text, or "a panic without a message".
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    panic_text(payload).unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_str_and_string_payloads() {
        let literal = std::panic::catch_unwind(|| panic!("plain")).unwrap_err();
        let formatted = std::panic::catch_unwind(|| panic!("{}", 42)).unwrap_err();
        let other = std::panic::catch_unwind(|| std::panic::panic_any(7u8)).unwrap_err();
        assert_eq!(panic_text(&*literal).as_deref(), Some("plain"));
        assert_eq!(panic_text(&*formatted).as_deref(), Some("42"));
        assert_eq!(panic_text(&*other), None);
        assert_eq!(panic_message(&*other), "a panic without a message");
    }
}
