//! The script interpreter: compilation of the parsed script and execution of its routes.

pub mod compile;
pub mod exec;
pub mod program;
pub mod trace;

pub use compile::{compile, prepare_args};
pub use exec::{run, Outcome};
pub use program::Program;
