//! Pipelines composed from library stages (`[stages.NAME]`): each
//! analysis agrees with an independent computation from the project's own
//! Parquet, reruns are incremental, and the data do not depend on threads.

use std::path::Path;

use neurodyn_io::read_table;
use neurodyn_tests::{all_tables, counts, pipeline, run};

const RNN: &str = "[pipeline]\nname = \"dim\"\nseed = 5\n\
    [sweep]\ng = [0.5, 3.0]\nseed = [0, 1]\n\
    [stages.sim]\nkind = \"rate-rnn\"\nn = 30\np = 0.3\nduration_ms = 600.0\ntransient_ms = 100.0\nsample_ms = 2.0\n\
    [stages.dim]\nkind = \"dimensionality\"\ninputs = [\"sim.activity\"]\n\
    [stages.fc]\nkind = \"fc\"\ninputs = [\"sim.activity\"]\n\"fcd.window_ms\" = 100.0\n\"fcd.step_ms\" = 50.0\n\
    [stages.spectra]\nkind = \"spectra\"\ninputs = [\"sim.activity\"]\nsegment_samples = 64\n\
    [stages.by_g]\nkind = \"collect\"\ninputs = [\"dim.dimensionality\"]\nmean_over = \"seed\"\n\
    [stages.plot]\nkind = \"line-plot\"\ninputs = [\"by_g.summary\"]\nx = \"g\"\ny = \"pr_mean\"\nerror = \"pr_sd\"\n";

fn point_file(out: &Path, stage: &str, table: &str, part: &str) -> std::path::PathBuf {
    out.join("dim")
        .join(stage)
        .join(table)
        .join(part)
        .join(format!("{table}.parquet"))
}

/// Time-major matrix of the activity file (rows by time, then node).
fn matrix(path: &Path) -> (usize, usize, Vec<f64>) {
    let t = read_table(path).unwrap();
    let region = t.u32s("region").unwrap();
    let n = *region.iter().max().unwrap() as usize + 1;
    let x = t.f64s("value").unwrap().to_vec();
    (x.len() / n, n, x)
}

#[test]
fn rate_rnn_analyses_agree_with_direct_computations() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path();
    let p = pipeline(RNN);
    let r = run(&p, out, Some(2), &[]);
    assert_eq!(counts(&r, "sim"), (4, 0));
    assert_eq!(counts(&r, "plot"), (1, 0));
    let mut pr_by_g = Vec::new();
    for part in [
        "g_0.5/seed_0",
        "g_0.5/seed_1",
        "g_3.0/seed_0",
        "g_3.0/seed_1",
    ] {
        let (m, n, x) = matrix(&point_file(out, "sim", "activity", part));
        // transient 100 ms, 600 ms at 2 ms: samples at 102, 104, ..., 600
        assert_eq!((m, n), (250, 30));
        // covariance, participation ratio and mean correlation, directly
        let mean: Vec<f64> = (0..n)
            .map(|i| (0..m).map(|t| x[t * n + i]).sum::<f64>() / m as f64)
            .collect();
        let c = |i: usize, j: usize| {
            (0..m)
                .map(|t| (x[t * n + i] - mean[i]) * (x[t * n + j] - mean[j]))
                .sum::<f64>()
                / (m - 1) as f64
        };
        let cov: Vec<f64> = (0..n * n).map(|k| c(k / n, k % n)).collect();
        let tr: f64 = (0..n).map(|i| cov[i * n + i]).sum();
        let tr2: f64 = cov.iter().map(|v| v * v).sum();
        let pr = tr * tr / tr2;
        let mut fcs = Vec::new();
        for i in 0..n {
            for j in i + 1..n {
                fcs.push(cov[i * n + j] / (cov[i * n + i] * cov[j * n + j]).sqrt());
            }
        }
        let mean_fc = fcs.iter().sum::<f64>() / fcs.len() as f64;
        let d = read_table(&point_file(out, "dim", "dimensionality", part)).unwrap();
        let got = d.f64s("pr").unwrap()[0];
        assert!((got - pr).abs() < 1e-9 * pr, "{part}: pr {got} vs {pr}");
        assert!(got >= 1.0 && got <= n as f64, "{part}: {got}");
        let got_fc = d.f64s("mean_fc").unwrap()[0];
        assert!(
            (got_fc - mean_fc).abs() < 1e-9,
            "{part}: mean fc {got_fc} vs {mean_fc}"
        );
        let f = read_table(&point_file(out, "fc", "fc", part)).unwrap();
        let v = f.f64s("fc").unwrap();
        assert_eq!(v.len(), fcs.len());
        for (a, b) in v.iter().zip(&fcs) {
            assert!((a - b).abs() < 1e-9, "{part}: fc {a} vs {b}");
        }
        // FCD: 100 ms windows of 50 samples every 25 samples over 250
        let s = read_table(&point_file(out, "fc", "fc_summary", part)).unwrap();
        assert_eq!(s.i64s("fcd_windows").unwrap()[0], (250 - 50) / 25 + 1);
        // peaks are the largest bin above DC of each node's spectrum
        let sp = read_table(&point_file(out, "spectra", "spectra", part)).unwrap();
        let pk = read_table(&point_file(out, "spectra", "peaks", part)).unwrap();
        let (reg, fq, pw) = (
            sp.u32s("region").unwrap(),
            sp.f64s("frequency_hz").unwrap(),
            sp.f64s("power").unwrap(),
        );
        // 64-sample segments at 500 Hz: 33 bins from 0 to 250 Hz
        assert_eq!(reg.len(), 33 * n);
        for i in 0..n {
            let rows: Vec<usize> = (0..reg.len())
                .filter(|&k| reg[k] as usize == i && fq[k] > 0.0)
                .collect();
            let best = rows
                .iter()
                .copied()
                .fold(rows[0], |b, k| if pw[k] > pw[b] { k } else { b });
            assert_eq!(pk.f64s("peak_hz").unwrap()[i], fq[best]);
        }
        pr_by_g.push(got);
    }
    // the summary averages the two seeds of each g
    let s = read_table(&out.join("dim/tables/by_g.parquet")).unwrap();
    let means = s.f64s("pr_mean").unwrap();
    assert_eq!(s.i64s("n").unwrap(), &[2, 2]);
    assert!((means[0] - (pr_by_g[0] + pr_by_g[1]) / 2.0).abs() < 1e-12);
    assert!((means[1] - (pr_by_g[2] + pr_by_g[3]) / 2.0).abs() < 1e-12);
    assert!(out.join("dim/figures/plot.png").is_file());
    // every table has exactly the columns of its contract
    use neurodyn_core::contracts::{ACTIVITY, DIMENSIONALITY, FC, FC_SUMMARY, PEAKS, SPECTRA};
    for (stage, kind) in [
        ("sim", ACTIVITY),
        ("dim", DIMENSIONALITY),
        ("fc", FC),
        ("fc", FC_SUMMARY),
        ("spectra", SPECTRA),
        ("spectra", PEAKS),
    ] {
        let f = point_file(out, stage, kind.name, "g_3.0/seed_1");
        // the sweep keys first, then the kind's columns
        let want: Vec<(String, String)> = [("g", "f64"), ("seed", "i64")]
            .iter()
            .map(|(k, t)| (k.to_string(), t.to_string()))
            .chain(kind.columns.iter().map(|c| {
                (
                    c.name.to_string(),
                    neurodyn_tests::type_word(c.ty).to_string(),
                )
            }))
            .collect();
        assert_eq!(neurodyn_io::read_schema(&f).unwrap(), want, "{}", kind.name);
    }

    // a rerun does nothing; a changed analysis parameter reruns that branch only
    let r = run(&p, out, Some(1), &[]);
    assert!(r.stages.iter().all(|s| s.1 == 0), "{:?}", r.stages);
    let p2 = pipeline(&RNN.replace("segment_samples = 64", "segment_samples = 32"));
    let r = run(&p2, out, None, &[]);
    assert_eq!(counts(&r, "spectra"), (4, 0));
    assert_eq!(counts(&r, "sim"), (0, 4));
    assert_eq!(counts(&r, "dim"), (0, 4));
    assert_eq!(counts(&r, "by_g"), (0, 1));
}

#[test]
fn composed_data_do_not_depend_on_the_thread_count() {
    let text = RNN.replace("name = \"dim\"", "name = \"d\"");
    let p = pipeline(&text);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    run(&p, a.path(), Some(1), &[]);
    run(&p, b.path(), Some(2), &[]);
    let (ta, tb) = (
        all_tables(&a.path().join("d")),
        all_tables(&b.path().join("d")),
    );
    assert_eq!(ta.keys().collect::<Vec<_>>(), tb.keys().collect::<Vec<_>>());
    assert!(ta.len() > 20);
    for (k, t) in &ta {
        assert!(t.same_bits(&tb[k]), "{k} differs");
    }
}

#[test]
fn ring_spikes_give_avalanches_and_branching_ratios() {
    let text = "[pipeline]\nname = \"rc\"\nseed = 1\n\
        [sweep]\ncondition = [\"normal\"]\nseed = [0]\n\
        [stages.sim]\nkind = \"ring-attractor\"\nn_e = 72\nn_i = 18\nduration_s = 0.6\nstimulus_on_s = 0.1\nstimulus_off_s = 0.2\nrecord = { neurons = [0, 80] }\n\
        [stages.av]\nkind = \"avalanches\"\ninputs = [\"sim.spikes\"]\nbin_ms = 0.5\ntransient_ms = 50.0\n\
        [stages.fit]\nkind = \"powerlaw-fit\"\ninputs = [\"av.avalanches\"]\nmin_tail = 5\n\
        [stages.br]\nkind = \"branching-ratio\"\ninputs = [\"sim.spikes\"]\nbin_ms = 0.5\ntransient_ms = 50.0\nk_max = 10\n";
    let dir = tempfile::tempdir().unwrap();
    run(&pipeline(text), dir.path(), None, &[]);
    let part = "parameter_set_original/condition_normal/seed_0";
    let f = |stage: &str, table: &str| {
        dir.path()
            .join("rc")
            .join(stage)
            .join(table)
            .join(part)
            .join(format!("{table}.parquet"))
    };
    // bin the spikes by hand: 0.1 ms steps, 5 per bin, from step 500
    let spikes = read_table(&f("sim", "spikes")).unwrap();
    let steps = spikes.u32s("step").unwrap();
    let last = *steps.iter().max().unwrap() as usize;
    let mut counts = vec![0u64; (last - 500) / 5 + 1];
    for &s in steps.iter().filter(|&&s| s >= 500) {
        counts[(s as usize - 500) / 5] += 1;
    }
    // complete runs of non-empty bins
    let mut want = Vec::new();
    let mut i = counts.iter().position(|&c| c == 0).unwrap();
    while let Some(off) = counts[i..].iter().position(|&c| c > 0) {
        let start = i + off;
        let Some(len) = counts[start..].iter().position(|&c| c == 0) else {
            break;
        };
        want.push((
            counts[start..start + len].iter().sum::<u64>() as i64,
            len as i64,
            50.0 + start as f64 * 0.5,
        ));
        i = start + len;
    }
    let av = read_table(&f("av", "avalanches")).unwrap();
    let got: Vec<(i64, i64, f64)> = (0..av.rows())
        .map(|k| {
            (
                av.i64s("size").unwrap()[k],
                av.i64s("duration").unwrap()[k],
                av.f64s("start_ms").unwrap()[k],
            )
        })
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((g.0, g.1), (w.0, w.1));
        assert!((g.2 - w.2).abs() < 1e-9);
    }
    let fit = read_table(&f("fit", "powerlaw_fit")).unwrap();
    assert_eq!(
        fit.strs("quantity").unwrap(),
        &["size".to_string(), "duration".to_string()]
    );
    assert_eq!(fit.i64s("n").unwrap()[0], want.len() as i64);
    // the naive ratio is the lag-1 regression slope of the counts
    let a: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
    let (x, y) = (&a[..a.len() - 1], &a[1..]);
    let (mx, my) = (
        x.iter().sum::<f64>() / x.len() as f64,
        y.iter().sum::<f64>() / y.len() as f64,
    );
    let sxy: f64 = x.iter().zip(y).map(|(p, q)| (p - mx) * (q - my)).sum();
    let sxx: f64 = x.iter().map(|p| (p - mx) * (p - mx)).sum();
    let br = read_table(&f("br", "branching_ratio")).unwrap();
    let m = br.f64s("m_naive").unwrap()[0];
    assert!((m - sxy / sxx).abs() < 1e-9, "{m} vs {}", sxy / sxx);
    assert_eq!(br.i64s("bins").unwrap()[0], counts.len() as i64);
}
