//! `neurodyn analyze` on user files: avalanches known by construction, power
//! laws against an independent fit, and bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, Int32Array, RecordBatch, UInt64Array};
use neurodyn_tables::user_data::{AvalancheRow, read_avalanches, read_powerlaw};

use crate::cli::ok;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_neurodyn"))
}

fn analyze(args: &[&str], input: &Path, out: &Path) -> Output {
    bin()
        .arg("analyze")
        .args(args)
        .arg("--input")
        .arg(input)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn write_parquet(path: &Path, columns: Vec<(&str, ArrayRef)>) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

fn column_names(path: &Path) -> Vec<String> {
    let file = std::fs::File::open(path).unwrap();
    let b = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
    b.schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect()
}

/// Events per 4 ms bin: a run touching the start (incomplete), avalanches
/// (start bin, size, duration) (4, 4, 2), (8, 2, 1), (11, 6, 3), (17, 5, 1),
/// and a run touching the end (incomplete).
const COUNTS: [u64; 22] = [
    2, 0, 0, 0, 1, 3, 0, 0, 2, 0, 0, 1, 2, 3, 0, 0, 0, 5, 0, 0, 7, 1,
];
const AVALANCHES: [(u64, u64, u64); 4] = [(4, 4, 2), (8, 2, 1), (11, 6, 3), (17, 5, 1)];
/// The same recording in bins of 8 ms: 2 0 4 0 2 1 5 0 5 0 8, so the second
/// and third avalanches merge.
const AVALANCHES_8MS: [(u64, u64, u64); 3] = [(2, 4, 1), (4, 8, 3), (8, 5, 1)];

/// One row per event, `(unit, t_ms)`, in unit order (not time order):
/// bin k's events at 4k + 0.25 + 0.5 j ms, so the first event is at 0.25 ms.
fn spikes() -> Vec<(i32, f64)> {
    let mut ev = Vec::new();
    for (k, &c) in COUNTS.iter().enumerate() {
        for j in 0..c {
            ev.push((
                (k as i32 * 7 + j as i32) % 5,
                4.0 * k as f64 + 0.25 + 0.5 * j as f64,
            ));
        }
    }
    ev.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    ev
}

fn rows(label: &str, want: &[(u64, u64, u64)]) -> Vec<AvalancheRow> {
    want.iter()
        .map(|&(start_bin, size, duration)| AvalancheRow {
            model: label.to_string(),
            sigma: None,
            seed: None,
            start_bin,
            size,
            duration,
        })
        .collect()
}

fn spike_files(dir: &Path) -> (PathBuf, PathBuf) {
    let ev = spikes();
    let pq = dir.join("spikes.parquet");
    write_parquet(
        &pq,
        vec![
            (
                "unit",
                Arc::new(Int32Array::from_iter_values(ev.iter().map(|e| e.0))) as ArrayRef,
            ),
            (
                "t_ms",
                Arc::new(Float64Array::from_iter_values(ev.iter().map(|e| e.1))) as ArrayRef,
            ),
        ],
    );
    let csv = dir.join("spikes.csv");
    let text: String = std::iter::once("unit,t_ms\n".to_string())
        .chain(ev.iter().map(|(u, t)| format!("{u},{t}\n")))
        .collect();
    std::fs::write(&csv, text).unwrap();
    (pq, csv)
}

#[test]
fn avalanches_of_a_spike_table_are_those_built_into_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (pq, csv) = spike_files(tmp.path());
    let args = ["avalanches", "--time-col", "t_ms", "--bin-ms", "4"];
    for input in [&pq, &csv] {
        let out = tmp.path().join("out");
        let stdout = ok(&analyze(&args, input, &out));
        assert!(stdout.contains("22 bins of 4 ms, 4 avalanches"), "{stdout}");
        assert!(stdout.contains("2 incomplete runs"), "{stdout}");
        assert_eq!(
            read_avalanches(&out.join("avalanches.parquet")).unwrap(),
            rows("spikes", &AVALANCHES),
            "{}",
            input.display()
        );
        assert_eq!(
            column_names(&out.join("avalanches.parquet")),
            ["model", "sigma", "seed", "start_bin", "size", "duration"]
        );
        assert!(!out.join("powerlaw.parquet").exists());
        // bins of 8 ms: the first and second avalanches of the 4 ms bins merge
        let out8 = tmp.path().join("out8");
        let mut a = args.to_vec();
        a.extend(["--rebin", "2", "--label", "rec"]);
        let stdout = ok(&analyze(&a, input, &out8));
        assert!(stdout.contains("11 bins of 8 ms (4 ms × 2)"), "{stdout}");
        assert_eq!(
            read_avalanches(&out8.join("avalanches.parquet")).unwrap(),
            rows("rec", &AVALANCHES_8MS)
        );
    }
    // an explicit start: bins from 0 ms hold the same events
    let out = tmp.path().join("t0");
    let mut a = args.to_vec();
    a.extend(["--t0-ms", "0"]);
    ok(&analyze(&a, &csv, &out));
    assert_eq!(
        read_avalanches(&out.join("avalanches.parquet")).unwrap(),
        rows("spikes", &AVALANCHES)
    );
}

#[test]
fn avalanches_of_a_count_table_with_fits() {
    let tmp = tempfile::tempdir().unwrap();
    let counts = tmp.path().join("activity.parquet");
    write_parquet(
        &counts,
        vec![(
            "events",
            Arc::new(UInt64Array::from_iter_values(COUNTS)) as ArrayRef,
        )],
    );
    let out = tmp.path().join("out");
    let stdout = ok(&analyze(
        &[
            "avalanches",
            "--count-col",
            "events",
            "--fit",
            "--min-tail",
            "2",
        ],
        &counts,
        &out,
    ));
    assert_eq!(
        read_avalanches(&out.join("avalanches.parquet")).unwrap(),
        rows("activity", &AVALANCHES)
    );
    let fits = read_powerlaw(&out.join("powerlaw.parquet")).unwrap();
    let q: Vec<(&str, u64)> = fits.iter().map(|r| (r.quantity.as_str(), r.n)).collect();
    assert_eq!(q, [("size", 4), ("duration", 4)], "{stdout}");
    assert!(stdout.contains("size: alpha"), "{stdout}");
    // the CCDF of each quantity with its fit, beside the tables
    for q in ["size", "duration"] {
        for ext in ["png", "svg"] {
            let f = out.join(format!("ccdf_{q}.{ext}"));
            assert!(
                f.is_file() && stdout.contains(&format!("wrote {}", f.display())),
                "{stdout}"
            );
        }
    }
    let svg = std::fs::read_to_string(out.join("ccdf_size.svg")).unwrap();
    assert!(svg.contains("power law, alpha ="), "the fit's legend entry");
    // fit options without --fit are refused
    let o = analyze(
        &["avalanches", "--count-col", "events", "--bootstrap", "10"],
        &counts,
        &tmp.path().join("none"),
    );
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn bad_input_exits_2_names_the_file_and_column_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (pq, csv) = spike_files(tmp.path());
    let text = tmp.path().join("sizes.tsv");
    std::fs::write(&text, "size\tname\n3\ta\n-1\tb\n").unwrap();
    let missing = tmp.path().join("missing.csv");
    let out = tmp.path().join("out");
    let cases: Vec<(Vec<&str>, &Path, Vec<String>)> = vec![
        (
            vec!["avalanches", "--time-col", "time", "--bin-ms", "4"],
            &csv,
            vec![
                "no column `time`".into(),
                "columns present: `unit`, `t_ms`".into(),
            ],
        ),
        (
            vec!["avalanches", "--time-col", "t", "--bin-ms", "4"],
            &pq,
            vec!["no column `t`".into()],
        ),
        (
            vec!["avalanches", "--time-col", "t_ms", "--bin-ms", "0"],
            &pq,
            vec!["`t_ms`".into(), "expected a finite number of ms > 0".into()],
        ),
        (
            vec!["avalanches", "--time-col", "t_ms", "--bin-ms", "-4"],
            &csv,
            vec!["`t_ms`".into(), "expected a finite number of ms > 0".into()],
        ),
        (
            vec!["powerlaw", "--column", "sizes"],
            &pq,
            vec!["no column `sizes`".into()],
        ),
        (
            vec!["powerlaw", "--column", "size"],
            &text,
            vec!["`size`".into(), "row 2 holds -1".into()],
        ),
        (
            vec!["powerlaw", "--column", "name"],
            &text,
            vec!["`name`".into(), "expected numbers".into()],
        ),
        (
            vec!["powerlaw", "--column", "unit"],
            &missing,
            vec!["`unit`".into(), "no such file".into()],
        ),
        (
            // four distinct values cannot leave 50 samples in a tail
            vec!["powerlaw", "--column", "unit"],
            &pq,
            vec!["`unit`".into(), "no power law can be fitted".into()],
        ),
    ];
    for (args, input, want) in cases {
        let o = analyze(&args, input, &out);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(&input.display().to_string()),
            "{args:?}: no file in {err}"
        );
        for w in want {
            assert!(err.contains(&w), "{args:?}: expected `{w}` in {err}");
        }
        assert!(!out.exists(), "{args:?}: something was written");
    }
    // neither --time-col nor --count-col: a usage error
    let o = analyze(&["avalanches"], &csv, &out);
    assert_eq!(o.status.code(), Some(2));
}

/// splitmix64: uniform in (0, 1].
fn uniform(state: &mut u64) -> f64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64
}

#[test]
fn powerlaw_of_a_sample_column_agrees_with_the_library_fit() {
    // ⌊Y⌋ of a continuous Pareto Y >= 1 with density ∝ y^(−2.5): a discrete
    // tail with the same exponent
    let mut state = 2024u64;
    let x: Vec<u64> = (0..20_000)
        .map(|_| uniform(&mut state).powf(-1.0 / 1.5).floor() as u64)
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("sizes.parquet");
    write_parquet(
        &input,
        vec![(
            "size",
            Arc::new(UInt64Array::from_iter_values(x.iter().copied())) as ArrayRef,
        )],
    );
    let out = tmp.path().join("out");
    let stdout = ok(&analyze(
        &[
            "powerlaw",
            "--column",
            "size",
            "--min-tail",
            "100",
            "--bootstrap",
            "20",
            "--seed",
            "3",
        ],
        &input,
        &out,
    ));
    let path = out.join("powerlaw.parquet");
    assert_eq!(
        column_names(&path),
        [
            "model",
            "sigma",
            "quantity",
            "n",
            "alpha",
            "alpha_se",
            "xmin",
            "n_tail",
            "ks",
            "p_value",
            "lr_exponential",
            "p_exponential",
            "lr_lognormal",
            "p_lognormal",
            "lr_truncated",
            "p_truncated"
        ]
    );
    let rows = read_powerlaw(&path).unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(
        (r.model.as_str(), r.quantity.as_str(), r.n),
        ("sizes", "size", 20_000)
    );
    assert_eq!(r.sigma, None);
    let f = neurodyn_analysis::powerlaw::fit(&x, 100, None).unwrap();
    assert!(
        (r.alpha - f.alpha).abs() < 4.0 * f.alpha_se,
        "command {r:?}, library {f:?}"
    );
    // ⌊Y⌋ is a power law only asymptotically (P(k) ≈ (α − 1)(k + ½)^(−α)):
    // a fit from a small xmin is biased low, by about 0.13 at xmin 4
    assert!((r.alpha - 2.5).abs() < 0.25, "{r:?}\n{stdout}");
    assert!(
        r.n_tail >= 100 && r.n_tail <= 20_000 && r.xmin >= 1,
        "{r:?}"
    );
    let p = r.p_value.expect("a bootstrap p-value");
    assert!((0.0..=1.0).contains(&p), "{r:?}");
    // a power law beats the exponential tail
    assert!(r.lr_exponential > 0.0, "{r:?}");
    for v in [r.p_exponential, r.p_lognormal, r.p_truncated, r.ks] {
        assert!(v.is_finite(), "{r:?}");
    }

    // the same samples as CSV: the same table
    let csv = tmp.path().join("sizes.csv");
    let text: String = std::iter::once("size\n".to_string())
        .chain(x.iter().map(|v| format!("{v}\n")))
        .collect();
    std::fs::write(&csv, text).unwrap();
    let out2 = tmp.path().join("out2");
    ok(&analyze(
        &[
            "powerlaw",
            "--column",
            "size",
            "--min-tail",
            "100",
            "--bootstrap",
            "20",
            "--seed",
            "3",
        ],
        &csv,
        &out2,
    ));
    assert_eq!(read_powerlaw(&out2.join("powerlaw.parquet")).unwrap(), rows);
}
