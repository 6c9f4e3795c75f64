//! The workspace-level tests, one module per file beside this one, in one
//! test binary (see `Cargo.toml`). Shared helpers: `neurodyn_tests` (`lib.rs`).

mod branching_avalanches;
mod branching_science;
mod composed;
mod docs;
mod force_motifs_full;
mod force_motifs_pipeline;
mod interop_python;
mod ring_attractor;
mod rnn_chaos_full;
mod rnn_chaos_pipeline;
mod rnn_science;
mod whole_brain;
