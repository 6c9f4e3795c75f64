//! Tests of the `neurodyn` binary, one module per file beside this one, in
//! one test binary (see `Cargo.toml`).

mod analyze;
mod cli;
mod fuzz;
#[cfg(feature = "mpi")]
mod mpi;

/// CI installs MPI and asks for the MPI tests (`NEURODYN_REQUIRE_MPI=1`):
/// they must not be skipped by a build without the feature.
#[cfg(not(feature = "mpi"))]
#[test]
fn the_mpi_tests_are_built_where_required() {
    assert!(
        std::env::var_os("NEURODYN_REQUIRE_MPI").is_none_or(|v| v != "1"),
        "NEURODYN_REQUIRE_MPI=1 but neurodyn-cli was built without its `mpi` feature: run `cargo xtask test`, which turns it on"
    );
}
