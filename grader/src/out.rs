//! Standard output that never panics: once the reader has gone (`cargo grade
//! list | head -1`), further output is dropped quietly and the command still
//! ends with its own exit code.

use std::io::Write;

/// Writes `text` to stdout; a closed pipe is not an error.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// Writes a line to stderr; a closed stderr is not an error either.
pub fn note(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
