//! `cargo xtask`: the project's chores.
//!
//! - `cargo xtask pipeline NAME [ARGS…]`: build the release binary and run
//!   `neurodyn run pipelines/NAME.toml ARGS…` (outputs under `data/out/`).
//! - `cargo xtask test [--slow]`: rustfmt check, then the workspace tests
//!   built with clippy `-D warnings` as the compiler of our crates (one
//!   build for both; `--slow` adds the ignored long tests). Where `mpirun`
//!   and libclang are found (or `NEURODYN_REQUIRE_MPI=1`, as in CI), the
//!   build turns on neurodyn-cli's `mpi` feature, which adds the MPI tests.
//! - `cargo xtask bench [--quick] [SECTION…]`: the side-by-side speed comparisons
//!   (sections: rnn-chaos, force-motifs, ring-attractor, branching-avalanches,
//!   whole-brain, memory, scale-out, criterion; default all).
//! - `cargo xtask tidy`: layering rules of the workspace.

mod bench;
mod tidy;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    // `cargo run` gives this process CARGO_* variables of its own package;
    // passed on, they invalidate build scripts' fingerprints and cost a
    // rebuild of the whole tree.
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("CARGO_") && k != "CARGO_HOME" && k != "CARGO_TARGET_DIR" {
            c.env_remove(k.as_ref());
        }
    }
    c
}

/// clippy-driver of the toolchain that builds the workspace.
fn clippy_driver() -> Result<PathBuf> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let out = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .with_context(|| format!("running {rustc} --print sysroot"))?;
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let driver = Path::new(&sysroot).join("bin").join("clippy-driver");
    if !driver.is_file() {
        bail!(
            "no clippy-driver at {}: install clippy (`rustup component add clippy`)",
            driver.display()
        );
    }
    Ok(driver)
}

/// Whether to build neurodyn-cli with its `mpi` feature: CI asks for it
/// (`NEURODYN_REQUIRE_MPI=1`); elsewhere, where an MPI launcher and the
/// libclang that rsmpi's bindgen needs are both installed.
pub(crate) fn with_mpi() -> bool {
    if std::env::var_os("NEURODYN_REQUIRE_MPI").is_some_and(|v| v == "1") {
        return true;
    }
    let found = |cmd: &str, args: &[&str]| {
        Command::new(cmd)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success() && !o.stdout.is_empty())
    };
    let mpirun = found("mpirun", &["--version"]);
    let libclang = std::env::var_os("LIBCLANG_PATH").is_some()
        || Command::new("ldconfig").arg("-p").output().is_ok_and(|o| {
            // libclang.so or libclang-14.so, not libclang-cpp
            String::from_utf8_lossy(&o.stdout).lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("libclang.so")
                    || l.strip_prefix("libclang-")
                        .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
            })
        });
    if mpirun && !libclang {
        eprintln!(
            "xtask: mpirun found but no libclang: the MPI tests are skipped (apt-get install libclang-dev)"
        );
    }
    mpirun && libclang
}

fn run(mut c: Command) -> Result<()> {
    let args: Vec<String> = c
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    eprintln!(
        "xtask: {} {}",
        c.get_program().to_string_lossy(),
        args.join(" ")
    );
    let status = c.status().with_context(|| format!("starting {c:?}"))?;
    if !status.success() {
        bail!("{c:?} failed with {status}");
    }
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cmd, rest) = args
        .split_first()
        .map_or(("help", &[][..]), |(c, r)| (c.as_str(), r));
    match cmd {
        "pipeline" => {
            let Some((name, extra)) = rest.split_first() else {
                bail!("usage: cargo xtask pipeline NAME [neurodyn run options]");
            };
            let mut b = cargo();
            b.args(["build", "--release", "--package", "neurodyn-cli"]);
            run(b)?;
            let mut c = Command::new(root().join("target/release/neurodyn"));
            c.current_dir(root())
                .args(["run", &format!("pipelines/{name}.toml")])
                .args(extra);
            run(c)
        }
        "test" => {
            let slow = rest.iter().any(|a| a == "--slow");
            let mut f = cargo();
            f.args(["fmt", "--all", "--check"]);
            run(f)?;
            // Clippy and the tests in one build. `cargo clippy` would check
            // every dependency a second time (metadata only, so nothing of
            // it serves the test build): here clippy-driver, exactly as
            // `cargo clippy` sets it up, is the compiler of our own crates
            // in the test build, so each crate is linted and compiled once.
            // `--all-targets --no-run` lints and builds what
            // `cargo clippy --all-targets` lints (benches and examples
            // too); the run that follows finds it all fresh.
            let clippy = clippy_driver()?;
            let lint = |c: &mut Command| {
                c.env("RUSTC_WORKSPACE_WRAPPER", &clippy).env(
                    "CLIPPY_ARGS",
                    "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
                );
            };
            let features: &[&str] = if with_mpi() {
                &["--features", "neurodyn-cli/mpi"]
            } else {
                &[]
            };
            let mut b = cargo();
            b.args(["test", "--workspace", "--all-targets", "--no-run"])
                .args(features);
            lint(&mut b);
            run(b)?;
            let mut t = cargo();
            t.args(["test", "--workspace"]).args(features);
            lint(&mut t);
            if slow {
                t.env("NEURODYN_SLOW", "1");
                t.args(["--", "--include-ignored"]);
            }
            run(t)
        }
        "bench" => bench::main(rest),
        "tidy" => tidy::check(&root()),
        _ => {
            eprintln!(
                "cargo xtask pipeline NAME [ARGS…] | test [--slow] | bench [--quick] [SECTION…] | tidy"
            );
            if cmd == "help" {
                Ok(())
            } else {
                bail!("unknown task `{cmd}`")
            }
        }
    }
}
