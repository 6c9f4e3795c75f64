//! Helpers shared by the workspace-level integration tests (the `*.rs` test
//! targets beside this file).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use neurodyn_core::record::MemoryTable;
use neurodyn_pipeline::spec::Source;
use neurodyn_pipeline::{Pipeline, Plan, RunOptions, RunReport, runner};

/// A small rnn-chaos pipeline: n = 40, p = 0.5 (so N p = 20 as in the
/// default), `steps` steps, 4 trials, the given g values and sessions.
/// `extra` is appended to `[stages.lyapunov]`, the last table.
pub fn small_rnn_chaos(
    name: &str,
    g: &[f64],
    sessions: &[i64],
    steps: usize,
    extra: &str,
) -> String {
    let g: Vec<String> = g.iter().map(|x| format!("{x:?}")).collect();
    let s: Vec<String> = sessions.iter().map(|x| x.to_string()).collect();
    format!(
        "[pipeline]\nname = \"{name}\"\nseed = 7\n\
         [sweep]\ng = [{}]\nsession = [{}]\n\
         [stages.simulate]\nkind = \"rate-rnn-twins\"\nn = 40\np = 0.5\nsteps = {steps}\ntrials = 4\n\
         [stages.simulate.record]\nunits = [0, 3]\ntrials = [0, 1]\nevery_steps = 5\n\
         [stages.tables]\nkind = \"lyapunov-tables\"\ninputs = [\"lyapunov\", \"simulate.ends\"]\n\
         [stages.figures]\nkind = \"lyapunov-figures\"\ninputs = [\"tables\", \"simulate.activity\"]\n\
         [stages.lyapunov]\nkind = \"lyapunov\"\ninputs = [\"simulate\"]\nbenettin_transient_steps = {}\n{extra}",
        g.join(", "),
        s.join(", "),
        steps / 4
    )
}

/// The four stages of whole-brain (pipelines/whole-brain.toml) with extra
/// keys: `simulate` follows `[stages.simulate]` (its sub-tables are
/// `[stages.simulate.NAME]`), `fc` follows `[stages.fc]`.
pub fn whole_brain_stages(simulate: &str, fc: &str) -> String {
    format!(
        "[stages.simulate]\nkind = \"neural-mass-network\"\n{simulate}\
         [stages.fc]\nkind = \"fc-fit\"\ninputs = [\"simulate\"]\n{fc}\
         [stages.tables]\nkind = \"neural-mass-tables\"\ninputs = [\"simulate\", \"fc\"]\n\
         [stages.figures]\nkind = \"neural-mass-figures\"\ninputs = [\"tables\", \"simulate.network\", \"fc.fit\"]\n"
    )
}

/// The four stages of branching-avalanches
/// (pipelines/branching-avalanches.toml) with extra keys for `simulate`,
/// `analyse` and `figures`.
pub fn branching_stages(simulate: &str, analyse: &str, figures: &str) -> String {
    format!(
        "[stages.simulate]\nkind = \"branching-network\"\n{simulate}\
         [stages.analyse]\nkind = \"avalanche-statistics\"\ninputs = [\"simulate\"]\n{analyse}\
         [stages.tables]\nkind = \"avalanche-tables\"\ninputs = [\"analyse\"]\n\
         [stages.figures]\nkind = \"avalanche-figures\"\ninputs = [\"tables\", \"simulate.activity\", \"simulate.cells\"]\n{figures}"
    )
}

/// The five stages of ring-attractor (pipelines/ring-attractor.toml) with
/// extra keys: `simulate` follows `[stages.simulate]` (its sub-table is
/// `[stages.simulate.record]`), then `analyse`, `fi_curves` and `figures`.
pub fn ring_stages(simulate: &str, analyse: &str, fi_curves: &str, figures: &str) -> String {
    format!(
        "[stages.simulate]\nkind = \"ring-attractor\"\n{simulate}\
         [stages.analyse]\nkind = \"bump-persistence\"\ninputs = [\"simulate\"]\n{analyse}\
         [stages.fi_curves]\nkind = \"fi-curves\"\n{fi_curves}\
         [stages.tables]\nkind = \"ring-tables\"\ninputs = [\"analyse\"]\n\
         [stages.figures]\nkind = \"ring-figures\"\ninputs = [\"tables\", \"fi_curves\", \"simulate\", \"analyse.bump\"]\n{figures}"
    )
}

/// A small force-motifs pipeline: n = 40, 4 loops of 300 steps (training
/// in loops 1-2), pqif 0.5 and 1.0 x v_reset -12.3 and -17 x seed 0 — three
/// networks, the pure QIF one with a null v_reset. `extra` goes under
/// `[stages.analyse]`.
pub fn small_force_motifs(name: &str, extra: &str) -> String {
    format!(
        "[pipeline]\nname = \"{name}\"\nseed = 3\n\
         [sweep]\npqif = [0.5, 1.0]\nv_reset = [-12.3, -17.0]\nseed = [0]\n{}",
        force_motifs_stages(
            "n = 40\nloops = 4\nsteps_per_loop = 300\nstim_steps = 60\n\
             train_first_loop = 1\ntrain_last_loop = 2\n\
             [stages.simulate.record]\ncurrent_units = [0, 21]\ncurrent_loops = [3]\nreadout_units = [0, 1]\n",
            &format!("dpr_skip_steps = 60\n{extra}")
        )
    )
}

/// The four stages of force-motifs (pipelines/force-motifs.toml) with
/// extra keys: `simulate` follows `[stages.simulate]` (its sub-table is
/// `[stages.simulate.record]`), `analyse` follows `[stages.analyse]`.
pub fn force_motifs_stages(simulate: &str, analyse: &str) -> String {
    format!(
        "[stages.simulate]\nkind = \"lif-qif-force\"\n{simulate}\
         [stages.analyse]\nkind = \"motifs-dimensionality\"\ninputs = [\"simulate\"]\n{analyse}\
         [stages.tables]\nkind = \"force-tables\"\ninputs = [\"analyse\", \"simulate.loops\"]\n\
         [stages.figures]\nkind = \"force-figures\"\ninputs = [\"tables\", \"simulate.readout\", \"simulate.spikes\"]\n"
    )
}

/// Parse a pipeline from text (as if read from `name.toml`).
pub fn pipeline(text: &str) -> Pipeline {
    let src = Source {
        path: PathBuf::from("test.toml"),
        text: text.to_string(),
    };
    Pipeline::from_source(&src).unwrap_or_else(|e| panic!("{e}"))
}

/// Run a pipeline into `out` with the given options.
pub fn run(p: &Pipeline, out: &Path, threads: Option<usize>, force: &[&str]) -> RunReport {
    let plan = Plan::new(p, out);
    runner::run(
        &plan,
        &RunOptions {
            force: force.iter().map(|s| s.to_string()).collect(),
            threads,
            quiet: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// (instances run, instances fresh) of a stage in a report.
pub fn counts(r: &RunReport, stage: &str) -> (usize, usize) {
    r.stages
        .iter()
        .find(|s| s.0 == stage)
        .map(|s| (s.1, s.2))
        .unwrap_or_else(|| panic!("no stage {stage}"))
}

/// Every `.parquet` file under `dir`, by path relative to `dir`, read back.
pub fn all_tables(dir: &Path) -> BTreeMap<String, MemoryTable> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "parquet") {
                let rel = p
                    .strip_prefix(dir)
                    .expect("under dir")
                    .display()
                    .to_string();
                out.insert(
                    rel,
                    neurodyn_io::read_table(&p).unwrap_or_else(|e| panic!("{e}")),
                );
            }
        }
    }
    out
}

/// Every Parquet table under `a` has a twin under `b` with the same bits,
/// and there are as many (and at least one); returns how many.
pub fn assert_same_tables(a: &Path, b: &Path) -> usize {
    let (ta, tb) = (all_tables(a), all_tables(b));
    assert!(!ta.is_empty(), "no table under {}", a.display());
    assert_eq!(ta.len(), tb.len(), "{} vs {}", a.display(), b.display());
    for (k, t) in &ta {
        assert!(tb.get(k).is_some_and(|u| u.same_bits(t)), "{k} differs");
    }
    ta.len()
}

/// Check the columns of every table documented in `docs/tables.md` under
/// `## {section}` against the files of a run in `dir` (the pipeline's output
/// folder): for each `### \`stage/table/…/table.parquet\`` (or
/// `\`tables/name.parquet\``) heading followed by a column table, every file
/// of that table has exactly the documented columns, in order, with the
/// documented types. Panics with every difference. Tables the run did not
/// write (an option off) are skipped, and at least `min_checked` must be
/// checked.
pub fn check_documented_columns(section: &str, dir: &Path, min_checked: usize) {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/tables.md"))
            .expect("docs/tables.md");
    let start = docs
        .find(&format!("\n## {section}\n"))
        .unwrap_or_else(|| panic!("no section `## {section}` in docs/tables.md"));
    let body = &docs[start + 4..];
    let body = &body[..body.find("\n## ").unwrap_or(body.len())];
    // "Per sweep point (`g` float, `session` integer):": the key columns
    // that every per-point file holds first, in this order
    let mut keys: Vec<(String, String)> = Vec::new();
    if let Some(i) = body.find("Per sweep point (") {
        let para = &body[i..];
        let para = &para[..para.find("\n\n").unwrap_or(para.len())];
        let parts: Vec<&str> = para.split('`').collect();
        // odd parts are inside backticks: a key is a name followed by its type
        for k in (1..parts.len()).step_by(2) {
            let name = parts[k];
            let ty = match parts.get(k + 1).and_then(|a| a.split_whitespace().next()) {
                Some(t) if t.starts_with("float") => "f64",
                Some(t) if t.starts_with("integer") => "i64",
                Some(t) if t.starts_with("string") => "string",
                _ => continue,
            };
            if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                keys.push((name.to_string(), ty.to_string()));
            }
        }
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for block in body.split("\n### ").skip(1) {
        let heading = block.lines().next().unwrap_or("");
        // the first path of the heading
        let Some(path) = heading.split('`').nth(1) else {
            continue;
        };
        let documented: Vec<(String, String)> = block
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| column"))
            .flat_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                // `a, b, c | u32`: several columns of one type; Arrow's names
                // for the types are accepted too
                let ty = match cells[2] {
                    "int64" => "i64",
                    "uint32" => "u32",
                    "uint64" => "u64",
                    "float64" => "f64",
                    t => t,
                }
                .to_string();
                cells[1]
                    .split(", ")
                    .map(|c| (c.to_string(), ty.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        if documented.is_empty() {
            continue;
        }
        // the documented units of a table across the sweep (column -> unit,
        // "" for none); its file's `neurodyn.units` must agree
        let documented_units: Vec<(String, String)> = block
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| column"))
            .flat_map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let unit = cells.get(3).copied().unwrap_or("").to_string();
                cells[1]
                    .split(", ")
                    .map(|c| (c.to_string(), unit.clone()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let files: Vec<PathBuf> = if let Some((stage_table, _)) = path.split_once("/…") {
            let folder = dir.join(stage_table);
            let table = stage_table.rsplit('/').next().unwrap_or("");
            let mut found = Vec::new();
            let mut stack = vec![folder];
            while let Some(d) = stack.pop() {
                for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p
                        .file_name()
                        .is_some_and(|n| n == format!("{table}.parquet").as_str())
                    {
                        found.push(p);
                    }
                }
            }
            found
        } else {
            vec![dir.join(path)]
                .into_iter()
                .filter(|p| p.is_file())
                .collect()
        };
        // rows without a type are sweep keys of the `tables/` version only;
        // a per-point file holds the keys first, typed
        let per_point = path.contains("/…");
        let documented: Vec<(String, String)> = documented
            .into_iter()
            .filter(|(_, t)| !(per_point && t.is_empty()))
            .collect();
        let documented: Vec<(String, String)> = if per_point {
            keys.iter().cloned().chain(documented).collect()
        } else {
            documented
        };
        for f in files {
            checked += 1;
            if !per_point {
                let kv = neurodyn_io::read_key_value_metadata(&f).unwrap();
                let units =
                    neurodyn_io::meta::parse_units(&kv[neurodyn_io::meta::KEY_UNITS]).unwrap();
                for (c, u) in &documented_units {
                    let written = units.get(c).map(String::as_str).unwrap_or("");
                    if written != u {
                        problems.push(format!(
                            "{}: column {c}: documented unit `{u}`, written `{written}`",
                            f.strip_prefix(dir).unwrap_or(&f).display()
                        ));
                    }
                }
            }
            let actual = neurodyn_io::read_schema(&f).unwrap();
            if actual != documented {
                problems.push(format!(
                    "{}:\n  documented {documented:?}\n  written    {actual:?}",
                    f.strip_prefix(dir).unwrap_or(&f).display()
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "docs/tables.md ## {section} differs from the files:\n{}",
        problems.join("\n")
    );
    assert!(
        checked >= min_checked,
        "only {checked} documented files of ## {section} were found in {}",
        dir.display()
    );
}

/// A column type in the words of `docs/tables.md` (and of
/// [`neurodyn_io::read_schema`]).
pub fn type_word(t: neurodyn_core::ColumnType) -> &'static str {
    use neurodyn_core::ColumnType as C;
    match t {
        C::U32 => "u32",
        C::I64 => "i64",
        C::F64 => "f64",
        C::Bool => "bool",
        C::Str => "string",
    }
}
