//! Every output format, rendered from one `Report`.

mod json;
mod text;

pub use json::json;
pub use text::{Style, text};
