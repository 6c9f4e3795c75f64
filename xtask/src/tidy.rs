//! Workspace layering rules, checked by `cargo xtask tidy` and by a test.

use std::path::Path;

use anyhow::{Result, bail};

/// (crate, dependencies it must not have)
const RULES: &[(&str, &[&str])] = &[
    (
        "neurodyn-core",
        &["arrow", "parquet", "polars", "toml", "neurodyn-"],
    ),
    (
        "neurodyn-stimuli",
        &[
            "arrow",
            "parquet",
            "polars",
            "toml",
            "neurodyn-io",
            "neurodyn-pipeline",
        ],
    ),
    (
        "neurodyn-models",
        &[
            "arrow",
            "parquet",
            "polars",
            "toml",
            "neurodyn-io",
            "neurodyn-pipeline",
        ],
    ),
    (
        "neurodyn-learning",
        &[
            "arrow",
            "parquet",
            "polars",
            "toml",
            "neurodyn-io",
            "neurodyn-pipeline",
        ],
    ),
    (
        "neurodyn-analysis",
        &[
            "arrow",
            "parquet",
            "polars",
            "toml",
            "neurodyn-io",
            "neurodyn-pipeline",
        ],
    ),
    (
        "neurodyn-io",
        &["polars", "toml", "neurodyn-models", "neurodyn-pipeline"],
    ),
    (
        "neurodyn-plot",
        &[
            "polars",
            "arrow",
            "parquet",
            "neurodyn-io",
            "neurodyn-models",
            "neurodyn-analysis",
            "neurodyn-tables",
            "neurodyn-pipeline",
        ],
    ),
    (
        "neurodyn-atomic",
        &[
            "arrow",
            "parquet",
            "polars",
            "toml",
            "neurodyn-io",
            "neurodyn-models",
            "neurodyn-pipeline",
        ],
    ),
];

/// Check the rules; anyhow only in cli and xtask; no `dbg!` anywhere.
pub fn check(root: &Path) -> Result<()> {
    let mut problems = Vec::new();
    for (krate, banned) in RULES {
        let manifest = std::fs::read_to_string(root.join("crates").join(krate).join("Cargo.toml"))?;
        let deps = manifest.split("[dependencies]").nth(1).unwrap_or("");
        let deps = deps.split("\n[").next().unwrap_or("");
        for line in deps.lines() {
            let name = line.split(['=', ' ']).next().unwrap_or("").trim();
            if name.is_empty() || name == *krate {
                continue;
            }
            if banned
                .iter()
                .any(|b| name == *b || (b.ends_with('-') && name.starts_with(b)))
            {
                problems.push(format!("{krate} must not depend on {name}"));
            }
        }
    }
    for entry in std::fs::read_dir(root.join("crates"))? {
        let dir = entry?.path();
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml"))?;
        if !manifest.contains(&format!("name = \"{name}\"")) {
            problems.push(format!(
                "crates/{name}: package name must equal the folder name"
            ));
        }
        if name != "neurodyn-cli" && manifest.contains("anyhow") {
            problems.push(format!(
                "{name}: only neurodyn-cli and xtask may use anyhow"
            ));
        }
        if !manifest.contains("[lints]\nworkspace = true") {
            problems.push(format!("{name}: needs `[lints] workspace = true`"));
        }
        let mut stack = vec![dir.join("src")];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d)? {
                let p = e?.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    let text = std::fs::read_to_string(&p)?;
                    if text.contains(concat!("dbg", "!(")) {
                        problems.push(format!("{}: stray dbg!", p.display()));
                    }
                    let below_cli = name != "neurodyn-cli";
                    let prints = text
                        .lines()
                        .filter(|l| !l.trim_start().starts_with("//"))
                        .any(prints_to_stdout);
                    if below_cli && prints {
                        problems.push(format!("{}: prints to stdout below the cli", p.display()));
                    }
                }
            }
        }
    }
    for entry in std::fs::read_dir(root.join("crates"))? {
        let src = entry?.path().join("src");
        problems.extend(module_cycles(&src)?);
    }
    problems.extend(unknown_profile_packages(
        &std::fs::read_to_string(root.join("Cargo.toml"))?,
        &std::fs::read_to_string(root.join("Cargo.lock"))?,
    ));
    if problems.is_empty() {
        eprintln!("tidy: ok");
        Ok(())
    } else {
        bail!("tidy:\n  {}", problems.join("\n  "))
    }
}

/// Import cycles between the top-level modules of the crate at `src`
/// (`a` uses `crate::b` and `b` uses `crate::a`, directly or through
/// others): a module should build on others, not with them. Test modules
/// (from `#[cfg(test)]` on) are not counted.
fn module_cycles(src: &Path) -> Result<Vec<String>> {
    let mut modules: Vec<(String, String)> = Vec::new();
    for e in std::fs::read_dir(src)? {
        let p = e?.path();
        let stem = p
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if stem == "lib" || stem == "main" {
            continue;
        }
        let mut text = String::new();
        let mut stack = vec![p.clone()];
        while let Some(q) = stack.pop() {
            if q.is_dir() {
                for f in std::fs::read_dir(&q)? {
                    stack.push(f?.path());
                }
            } else if q.extension().is_some_and(|x| x == "rs") {
                let t = std::fs::read_to_string(&q)?;
                text.push_str(t.split("#[cfg(test)]").next().unwrap_or(""));
            }
        }
        if let Some(m) = modules.iter_mut().find(|m| m.0 == stem) {
            m.1.push_str(&text);
        } else {
            modules.push((stem, text));
        }
    }
    modules.sort();
    let uses = |a: usize, b: usize| {
        let pat = format!("crate::{}", modules[b].0);
        modules[a].1.match_indices(&pat).any(|(i, _)| {
            let next = modules[a].1[i + pat.len()..].chars().next();
            !next.is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    let n = modules.len();
    let edges: Vec<Vec<usize>> = (0..n)
        .map(|a| (0..n).filter(|&b| b != a && uses(a, b)).collect())
        .collect();
    let mut problems = Vec::new();
    // a cycle through a: a path from one of a's imports back to a
    for a in 0..n {
        let mut seen = vec![false; n];
        let mut stack: Vec<(usize, Vec<usize>)> =
            edges[a].iter().map(|&b| (b, vec![a, b])).collect();
        while let Some((m, path)) = stack.pop() {
            if m == a {
                // report each cycle once, from its smallest module
                if path.iter().all(|&x| x >= a) {
                    let names: Vec<&str> = path.iter().map(|&i| modules[i].0.as_str()).collect();
                    problems.push(format!(
                        "{}: modules import each other: {}",
                        src.display(),
                        names.join(" -> ")
                    ));
                }
                break;
            }
            if std::mem::replace(&mut seen[m], true) {
                continue;
            }
            for &b in &edges[m] {
                let mut p = path.clone();
                p.push(b);
                stack.push((b, p));
            }
        }
    }
    Ok(problems)
}

/// Profile overrides (`[profile.release.package.NAME]`) whose package is not
/// in the lock file: after a rename or a dropped dependency the crate would
/// silently fall back to the `"*"` level (opt-level 0).
fn unknown_profile_packages(manifest: &str, lock: &str) -> Vec<String> {
    let locked: std::collections::BTreeSet<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .filter_map(|l| l.strip_suffix('"'))
        .collect();
    manifest
        .lines()
        .filter_map(|l| l.trim().strip_prefix("[profile."))
        .filter_map(|l| l.strip_suffix(']'))
        .filter_map(|l| {
            l.split_once(".package.")
                .map(|(p, n)| (p, n.trim_matches('"')))
        })
        .filter(|(_, name)| *name != "*" && !locked.contains(name))
        .map(|(profile, name)| {
            format!("Cargo.toml: [profile.{profile}.package.{name}] names no package of Cargo.lock")
        })
        .collect()
}

/// `println!(` or `print!(` not preceded by `e` (stderr is fine).
fn prints_to_stdout(line: &str) -> bool {
    [concat!("print", "ln!("), concat!("print", "!(")]
        .iter()
        .any(|m| {
            line.match_indices(m)
                .any(|(i, _)| !line[..i].ends_with('e'))
        })
}

#[cfg(test)]
mod tests {
    #[test]
    fn stdout_prints_are_told_from_stderr_prints() {
        assert!(super::prints_to_stdout(concat!("    print", "ln!(\"x\");")));
        assert!(!super::prints_to_stdout(concat!(
            "    eprint",
            "ln!(\"x\");"
        )));
    }

    #[test]
    fn profile_overrides_must_name_locked_packages() {
        let lock = "[[package]]\nname = \"polars-core\"\nversion = \"0.55.2\"\n";
        let manifest = "[profile.release.package.\"*\"]\nopt-level = 0\n\
                        [profile.release.package.polars-core]\nopt-level = 3\n\
                        [profile.dev.package.polars-kore]\nopt-level = 3\n";
        assert_eq!(
            super::unknown_profile_packages(manifest, lock),
            vec!["Cargo.toml: [profile.dev.package.polars-kore] names no package of Cargo.lock"]
        );
    }

    #[test]
    fn module_cycles_are_found() {
        let dir = std::env::temp_dir().join(format!("tidy-cycles-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("b")).unwrap();
        std::fs::write(dir.join("lib.rs"), "mod a; mod b; mod c;").unwrap();
        std::fs::write(dir.join("a.rs"), "use crate::b::x;").unwrap();
        std::fs::write(dir.join("b/mod.rs"), "pub mod y;").unwrap();
        std::fs::write(
            dir.join("b/y.rs"),
            "use crate::c;\n#[cfg(test)]\nuse crate::a;",
        )
        .unwrap();
        std::fs::write(dir.join("c.rs"), "use crate::a_b;").unwrap();
        assert!(super::module_cycles(&dir).unwrap().is_empty());
        std::fs::write(dir.join("c.rs"), "use crate::a::z;").unwrap();
        let p = super::module_cycles(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(
            p[0].ends_with("modules import each other: a -> b -> c -> a"),
            "{p:?}"
        );
    }

    #[test]
    fn workspace_is_tidy() {
        super::check(&super::super::root()).unwrap();
    }
}
