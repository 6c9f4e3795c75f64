//! Tests of the `neurodyn` binary, one module per file beside this one, in
//! one test binary (see `Cargo.toml`).

mod analyze;
mod cli;
