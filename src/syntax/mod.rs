//! Parsing: `.rnx` source text to a syntax tree (`ast`), with pest and `grammar/rnx.pest`.

mod error;
mod lower;
mod lower_task;
mod parser;

pub use error::SyntaxError;
pub use parser::{parse_module, parse_override, parse_value};
