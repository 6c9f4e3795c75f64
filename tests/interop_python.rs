//! Interop: pandas (through pyarrow) reads every table of every study (numpy
//! recomputes the whole-brain FC and fit), a whole stage folder as one table with the sweep keys as columns
//! (a null key included), and the files' neurodyn metadata. Every dataset and
//! summary table of every study is also read by pandas, polars, DuckDB and
//! pyarrow with no argument but the path, and each sweep key must come back
//! with its own type (`interop_readers.py`). Needs python3 with pandas,
//! pyarrow, polars and duckdb; `.ci/run` installs them and sets
//! NEURODYN_REQUIRE_PYTHON=1 so that CI cannot skip.

use std::process::Command;

use neurodyn_tests::{pipeline, run, small_force_motifs, small_rnn_chaos};

const CHECK: &str = concat!(
    include_str!("interop_readers.py"),
    r#"
import sys, json
import pandas as pd, pyarrow.parquet as pq, pyarrow.dataset as ds, pyarrow as pa
root = sys.argv[1]
def expect(cond, msg):
    if not cond:
        print("FAIL:", msg); sys.exit(1)

# each table of a stage as one dataset, sweep keys as columns
for stage, table, cols in [
    ("simulate", "distance", {"trial": "uint32", "step": "uint32", "distance": "float64"}),
    ("simulate", "tangent", {"trial": "uint32", "step": "uint32", "log_stretch": "float64"}),
    ("simulate", "activity", {"trial": "uint32", "step": "uint32", "neuron": "uint32", "r": "float64", "r_twin": "float64"}),
    ("simulate", "ends", {"trial": "uint32", "initial_distance": "float64", "final_distance": "float64"}),
    ("lyapunov", "trials", {"trial": "uint32", "final_distance": "float64", "lambda_benettin_per_s": "float64", "diverged": "bool"}),
    ("lyapunov", "notebook", {"lambda_notebook_per_s": "float64", "n_diverging": "uint32", "cut_step": "uint32"}),
    ("lyapunov", "divergence", {"step": "uint32", "n": "uint32", "ln_distance_sum": "float64", "ln_distance_sq_sum": "float64"}),
]:
    path = f"{root}/{stage}/{table}"
    d = ds.dataset(path, format="parquet")
    expect(len(d.files) == 4, f"{stage}/{table}: {len(d.files)} files")
    t = d.to_table().to_pandas()
    expect(set(t.columns) == set(cols) | {"g", "session"}, f"{stage}/{table}: columns {list(t.columns)}")
    expect(str(t["g"].dtype) == "float64" and str(t["session"].dtype) == "int64", f"{stage}/{table}: keys {t.dtypes}")
    for c, ty in cols.items():
        expect(str(t[c].dtype) == ty, f"{stage}/{table}.{c}: {t[c].dtype} != {ty}")
    expect(sorted(set(t["g"])) == [1.0, 12.0], f"{stage}: g values {sorted(set(t['g']))}")
    expect(sorted(set(t["session"])) == [1, 2], f"{stage}: sessions")
    # plain pandas on the folder: one table, the keys typed
    p = pd.read_parquet(path)
    expect(len(p) == len(t) and set(p.columns) == set(t.columns), f"pandas {stage}/{table}: {p.shape}")
    expect(sorted(set(p["g"])) == [1.0, 12.0], f"pandas {stage}/{table}: g")
    expect(sorted(set(p["session"])) == [1, 2], f"pandas {stage}/{table}: session")
expect(len(pd.read_parquet(f"{root}/simulate/distance")) == 2 * 2 * 4 * 300, "distance rows")

# summary tables
for name, cols in {
    "summary": {"g": "float64", "lambda_benettin_per_s_mean": "float64", "lambda_benettin_per_s_sd": "float64", "n_benettin": "uint32",
                "lambda_notebook_per_s_mean": "float64", "fraction_diverging": "float64"},
    "trials": {"g": "float64", "session": "int64", "trial": "uint32", "final_distance": "float64",
               "lambda_benettin_per_s": "float64", "diverged": "bool"},
    "notebook": {"g": "float64", "session": "int64", "lambda_notebook_per_s": "float64",
                 "n_diverging": "uint32", "cut_step": "uint32"},
    "divergence": {"g": "float64", "step": "uint32", "t_ms": "float64", "ln_distance_mean": "float64",
                   "ln_distance_sd": "float64"},
}.items():
    t = pd.read_parquet(f"{root}/tables/{name}.parquet")
    expect(list(t.columns) == list(cols), f"{name}: columns {list(t.columns)}")
    for c, ty in cols.items():
        expect(str(t[c].dtype) == ty, f"{name}.{c}: {t[c].dtype} != {ty}")
    md = pq.read_metadata(f"{root}/tables/{name}.parquet").metadata
    expect(md[b"neurodyn.pipeline"] == b"interop", f"{name}: metadata {md}")
s = pd.read_parquet(f"{root}/tables/summary.parquet")
expect(len(s) == 2, "summary rows")
md = pq.read_metadata(f"{root}/simulate/distance/g_1.0/session_1/distance.parquet").metadata
params = json.loads(md[b"neurodyn.params"])
expect(params["n"] == 40 and params["model"] == "seed", f"params {params}")
expect(md[b"neurodyn.stage"] == b"simulate", "stage metadata")
check_readers(root, {"g": "float", "session": "int"})
print("ok")
"#
);

const CHECK_FORCE: &str = concat!(
    include_str!("interop_readers.py"),
    r#"
import sys, json
import pandas as pd, pyarrow.parquet as pq, pyarrow.dataset as ds, pyarrow as pa
root = sys.argv[1]
def expect(cond, msg):
    if not cond:
        print("FAIL:", msg); sys.exit(1)
u3 = {"loop": "uint32", "step": "uint32", "neuron": "uint32"}
for stage, table, cols in [
    ("simulate", "activity", {**u3, "r": "float64", "input": "float64"}),
    ("simulate", "spikes", u3),
    ("simulate", "currents", {**u3, "external": "float64", "synaptic": "float64", "noise": "float64"}),
    ("simulate", "readout", {**u3, "target": "float64", "z": "float64"}),
    ("simulate", "weights", {"loop": "int64", "post": "uint32", "pre": "uint32", "w": "float64"}),
    ("simulate", "loops", {"loop": "int64", "trained": "bool", "spikes": "int64", "rate_hz": "float64", "mse": "float64",
                           "correlation": "float64", "weight_change_rel": "float64", "weight_change_total_rel": "float64"}),
    ("simulate", "targets", {"neuron": "uint32", "amplitude": "float64", "cycles_per_loop": "float64", "phase_rad": "float64",
                             "centre_step": "float64", "width_steps": "float64"}),
    ("analyse", "motifs", {"loop": "int64", "sigma2": "float64", "tau_rec": "float64", "tau_div": "float64",
                           "tau_con": "float64", "tau_chn": "float64"}),
    ("analyse", "dimensionality", {"loop": "int64", "samples": "uint32", "pr": "float64", "dpr": "float64"}),
]:
    d = ds.dataset(f"{root}/{stage}/{table}", format="parquet")
    expect(len(d.files) == 3, f"{stage}/{table}: {len(d.files)} files")
    t = d.to_table().to_pandas()
    expect(set(t.columns) == set(cols) | {"pqif", "v_reset", "seed"}, f"{stage}/{table}: columns {list(t.columns)}")
    for c, ty in cols.items():
        expect(str(t[c].dtype) == ty, f"{stage}/{table}.{c}: {t[c].dtype} != {ty}")
    expect(str(t["v_reset"].dtype) == "float64", f"{stage}/{table}: v_reset {t['v_reset'].dtype}")
    expect((t["v_reset"].isna() == (t["pqif"] == 1.0)).all(), f"{stage}/{table}: null v_reset exactly for pqif 1")
for name, extra in [("motifs", ["sigma2", "tau_rec", "tau_div", "tau_con", "tau_chn"]),
                    ("dimensionality", ["samples", "pr", "dpr"]),
                    ("training", ["trained", "mse", "correlation", "spikes", "rate_hz", "weight_change_rel", "weight_change_total_rel"])]:
    t = pd.read_parquet(f"{root}/tables/{name}.parquet")
    expect(list(t.columns) == ["pqif", "v_reset", "seed", "loop"] + extra, f"{name}: columns {list(t.columns)}")
    expect(str(t["pqif"].dtype) == "float64" and str(t["v_reset"].dtype) == "float64"
           and str(t["seed"].dtype) == "int64" and str(t["loop"].dtype) == "int64", f"{name}: {t.dtypes}")
    expect((t["v_reset"].isna() == (t["pqif"] == 1.0)).all(), f"{name}: null v_reset")
    md = pq.read_metadata(f"{root}/tables/{name}.parquet").metadata
    expect(md[b"neurodyn.pipeline"] == b"interop-fm", f"{name}: metadata")
md = pq.read_metadata(f"{root}/simulate/activity/pqif_0.5/v_reset_-12.3/seed_0/activity.parquet").metadata
expect(json.loads(md[b"neurodyn.params"])["n"] == 40, "params")
check_readers(root, {"pqif": "float", "v_reset": "float", "seed": "int"})
print("ok")
"#
);

const CHECK_RING: &str = concat!(
    include_str!("interop_readers.py"),
    r#"
import sys, json
import pandas as pd, pyarrow.parquet as pq
root = sys.argv[1]
def expect(cond, msg):
    if not cond:
        print("FAIL:", msg); sys.exit(1)
# pandas reads the stage folder directly, the keys typed
for stage, table, cols in [
    ("simulate", "spikes", {"step": "uint32", "neuron": "uint32"}),
    ("simulate", "traces", {"step": "uint32", "neuron": "uint32", "v_mv": "float64", "u_pa": "float64",
                            "g_ampa_ns": "float64", "g_nmda_ns": "float64", "g_gabaa_ns": "float64",
                            "g_gabab_ns": "float64", "g_background_ns": "float64"}),
    ("analyse", "rates", {"t_s": "float64", "rate_e_hz": "float64", "rate_i_hz": "float64"}),
    ("analyse", "bump", {"t_s": "float64", "angle_deg": "float64", "width_deg": "float64",
                         "resultant": "float64", "amplitude_hz": "float64"}),
    ("analyse", "persistence", {"persistence_s": "float64", "reason": "string", "angle_end_deg": "float64",
                                "angle_error_deg": "float64", "rate_e_delay_hz": "float64",
                                "rate_i_delay_hz": "float64", "spikes": "uint32"}),
]:
    t = pd.read_parquet(f"{root}/{stage}/{table}")
    expect(set(t.columns) == set(cols) | {"parameter_set", "condition", "seed"}, f"{stage}/{table}: {list(t.columns)}")
    for c, ty in cols.items():
        # strings: object before pandas 3, str from it
        ok = pd.api.types.is_string_dtype(t[c]) if ty == "string" else str(t[c].dtype) == ty
        expect(ok, f"{stage}/{table}.{c}: {t[c].dtype} != {ty}")
    expect(set(t["condition"].astype(str)) == {"normal", "decreased"}, f"{stage}/{table}: conditions")
p = pd.read_parquet(f"{root}/tables/persistence.parquet")
expect(list(p.columns[:3]) == ["parameter_set", "condition", "seed"] and str(p["seed"].dtype) == "int64", f"{p.dtypes}")
expect(len(p) == 2 and set(p["reason"]) <= {"persisted", "died", "runaway"}, "persistence rows")
s = pd.read_parquet(f"{root}/tables/persistence_summary.parquet")
expect(str(s["n_persisted"].dtype) == "uint32" and len(s) == 2, f"summary {s.dtypes}")
f = pd.read_parquet(f"{root}/tables/fi_curves.parquet")
expect(set(f["cell"]) == {"RS", "FS"} and str(f["current_pa"].dtype) == "float64", "fi_curves")
md = pq.read_metadata(f"{root}/simulate/spikes/parameter_set_original/condition_normal/seed_0/spikes.parquet").metadata
expect(json.loads(md[b"neurodyn.units"])["step"] == "step", "units")
check_readers(root, {"parameter_set": "str", "condition": "str", "seed": "int"})
print("ok")
"#
);

const CHECK_BRANCHING: &str = concat!(
    include_str!("interop_readers.py"),
    r#"
import sys, json
import pandas as pd, pyarrow.parquet as pq, pyarrow.dataset as ds, pyarrow as pa
root = sys.argv[1]
def expect(cond, msg):
    if not cond:
        print("FAIL:", msg); sys.exit(1)
a = ds.dataset(f"{root}/analyse/avalanches").to_table().to_pandas()
expect(set(a.columns) == {"start_bin", "size", "duration", "truncated", "model", "sigma", "seed"}, f"avalanches {list(a.columns)}")
expect(str(a["size"].dtype) == "int64" and str(a["truncated"].dtype) == "bool" and str(a["sigma"].dtype) == "float64", f"{a.dtypes}")
t = pd.read_parquet(f"{root}/tables/avalanches.parquet")
expect(len(t) == len(a) and list(t.columns[:3]) == ["model", "sigma", "seed"], "tables/avalanches")
pl = pd.read_parquet(f"{root}/tables/powerlaw.parquet")
want = ["model", "sigma", "seed", "quantity", "n", "alpha", "alpha_se", "xmin", "n_tail", "ks", "p_value",
        "lr_exponential", "p_exponential", "lr_lognormal", "p_lognormal", "lr_truncated", "p_truncated"]
expect(list(pl.columns) == want, f"powerlaw {list(pl.columns)}")
expect(set(pl["quantity"]) <= {"size", "duration"} and str(pl["alpha"].dtype) == "float64", "powerlaw values")
br = pd.read_parquet(f"{root}/tables/branching_ratio.parquet")
expect(list(br.columns) == ["model", "sigma", "seed", "series", "subsampling", "m_naive", "m_mr", "b_mr"], f"{list(br.columns)}")
for name in ["crackling", "size_by_duration"]:
    x = pd.read_parquet(f"{root}/tables/{name}.parquet")
    expect(len(x) > 0 and str(x["sigma"].dtype) == "float64", name)
md = pq.read_metadata(f"{root}/tables/powerlaw.parquet").metadata
expect(md[b"neurodyn.pipeline"] == b"interop-ba", "metadata")
check_readers(root, {"model": "str", "sigma": "float", "seed": "int"})
print("ok")
"#
);

const CHECK_WHOLE_BRAIN: &str = concat!(
    include_str!("interop_readers.py"),
    r#"
import sys
import numpy as np, pandas as pd, pyarrow.parquet as pq, pyarrow.dataset as ds, pyarrow as pa
root, target_csv = sys.argv[1], sys.argv[2]
def expect(cond, msg):
    if not cond:
        print("FAIL:", msg); sys.exit(1)
fc = ds.dataset(f"{root}/fc/fc").to_table().to_pandas()
expect(set(fc.columns) == {"i", "j", "r", "model", "k", "speed", "seed"}, f"fc {list(fc.columns)}")
expect(str(fc["r"].dtype) == "float64" and str(fc["k"].dtype) == "float64", f"{fc.dtypes}")
t = pd.read_parquet(f"{root}/tables/fc.parquet")
expect(list(t.columns) == ["model", "k", "speed", "seed", "i", "j", "r"], f"tables/fc {list(t.columns)}")
fit = pd.read_parquet(f"{root}/tables/fit.parquet")
expect(list(fit.columns[:5]) == ["model", "k", "speed", "seed", "signal"] and "fc_similarity" in fit.columns, f"fit {list(fit.columns)}")
act = pd.read_parquet(f"{root}/tables/activity.parquet")
expect(list(act.columns) == ["model", "k", "speed", "seed", "t_ms", "region", "label", "variable", "value"], f"activity {list(act.columns)}")
target = pd.read_csv(target_csv).to_numpy()
n = target.shape[0]
iu = np.triu_indices(n, 1)
runs = 0
for key, a in act.groupby(["model", "k", "speed", "seed"]):
    # FC and FC similarity recomputed by numpy from the activity table
    x = a.pivot(index="t_ms", columns="region", values="value").to_numpy()
    ours = t[(t.model == key[0]) & (t.k == key[1]) & (t.speed == key[2]) & (t.seed == key[3])]
    m = np.zeros((n, n)); m[ours["i"], ours["j"]] = ours["r"]
    want = np.corrcoef(x.T)
    expect(np.max(np.abs(m - want)) < 1e-10, f"{key}: FC differs from numpy by {np.max(np.abs(m - want))}")
    sim = np.corrcoef(want[iu], target[iu])[0, 1]
    got = fit[(fit.model == key[0]) & (fit.k == key[1]) & (fit.speed == key[2]) & (fit.seed == key[3])]["fc_similarity"].iloc[0]
    expect(abs(sim - got) < 1e-10, f"{key}: similarity {got} vs numpy {sim}")
    runs += 1
expect(runs == 4, f"{runs} runs")
md = pq.read_metadata(f"{root}/tables/fit.parquet").metadata
expect(md[b"neurodyn.pipeline"] == b"interop-wb", "metadata")
check_readers(root, {"model": "str", "k": "float", "speed": "float", "seed": "int"})
print("ok")
"#
);

fn python() -> Option<String> {
    let py = std::env::var("NEURODYN_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&py)
        .args(["-c", "import pandas, pyarrow, polars, duckdb"])
        .output()
        .is_ok_and(|o| o.status.success());
    ok.then_some(py)
}

/// Run `script` with python on `dir`; false (skipped) when no python3 with
/// pandas and pyarrow is found and CI does not require one.
fn check_with_pandas(script: &str, dir: &std::path::Path) -> bool {
    check_with_pandas_args(script, dir, &[])
}

/// [`check_with_pandas`] with more arguments after the folder.
fn check_with_pandas_args(script: &str, dir: &std::path::Path, args: &[&str]) -> bool {
    let Some(py) = python() else {
        assert!(
            std::env::var("NEURODYN_REQUIRE_PYTHON").is_err(),
            "python3 with pandas, pyarrow, polars and duckdb is required here"
        );
        eprintln!(
            "skipped: no python3 with pandas, pyarrow, polars and duckdb (set NEURODYN_REQUIRE_PYTHON=1 to fail instead)"
        );
        return false;
    };
    let out = Command::new(py)
        .args(["-c", script])
        .arg(dir)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && text.contains("ok"), "{text}");
    true
}

#[test]
fn pandas_reads_every_rnn_chaos_table() {
    let tmp = tempfile::tempdir().unwrap();
    let p = pipeline(&small_rnn_chaos("interop", &[1.0, 12.0], &[1, 2], 300, ""));
    run(&p, tmp.path(), Some(2), &[]);
    check_with_pandas(CHECK, &tmp.path().join("interop"));
}

#[test]
fn pandas_reads_every_force_motifs_table() {
    let tmp = tempfile::tempdir().unwrap();
    run(
        &pipeline(&small_force_motifs("interop-fm", "")),
        tmp.path(),
        Some(2),
        &[],
    );
    check_with_pandas(CHECK_FORCE, &tmp.path().join("interop-fm"));
}

#[test]
fn pandas_reads_every_ring_attractor_table() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "[pipeline]\nname = \"interop-ra\"\n\
         [sweep]\nparameter_set = [\"original\"]\ncondition = [\"normal\", \"decreased\"]\nseed = [0]\n{}",
        neurodyn_tests::ring_stages(
            "duration_s = 1.5\n",
            "",
            "current_step_pa = 100.0\n",
            "animation_frames = 2\n"
        )
    );
    run(&pipeline(&text), tmp.path(), Some(2), &[]);
    check_with_pandas(CHECK_RING, &tmp.path().join("interop-ra"));
}

#[test]
fn pandas_reads_every_branching_avalanches_table() {
    let tmp = tempfile::tempdir().unwrap();
    let text = format!(
        "[pipeline]\nname = \"interop-ba\"\n\
         [sweep]\nmodel = [\"layered\", \"poisson\"]\nsigma = [0.7, 1.0]\nseed = [0]\n{}",
        neurodyn_tests::branching_stages(
            "layered.pulses = 500\nlayered.animation_steps = 20\npoisson.avalanches = 2000\n\
             poisson.max_size = 10000\npoisson.driven_steps = 5000\n",
            "bootstrap = 3\n",
            "animation_frames = 2\n"
        )
    );
    run(&pipeline(&text), tmp.path(), Some(2), &[]);
    check_with_pandas(CHECK_BRANCHING, &tmp.path().join("interop-ba"));
}

#[test]
fn pandas_reads_every_whole_brain_table_and_numpy_agrees_with_fc_and_fit() {
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("target.csv");
    std::fs::write(
        &target,
        neurodyn_pipeline::library::models::neural_mass::EXAMPLE_TARGET_FC,
    )
    .unwrap();
    let text = format!(
        "[pipeline]\nname = \"interop-wb\"\n\
         [sweep]\nmodel = [\"hopf\", \"wilson_cowan\"]\nk = [0.2]\nspeed = [3.0, 10.0]\nseed = [0]\n{}",
        neurodyn_tests::whole_brain_stages("duration_ms = 150.0\n", "")
    );
    run(&pipeline(&text), tmp.path(), Some(2), &[]);
    check_with_pandas_args(
        CHECK_WHOLE_BRAIN,
        &tmp.path().join("interop-wb"),
        &[target.to_str().unwrap()],
    );
}
