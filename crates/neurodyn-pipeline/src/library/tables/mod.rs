//! Table stages: one table across the sweep.

pub mod collect;
