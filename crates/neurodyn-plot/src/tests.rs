use super::*;

fn png_dims(bytes: &[u8]) -> (u32, u32) {
    let be = |r: std::ops::Range<usize>| u32::from_be_bytes(bytes[r].try_into().unwrap());
    (be(16..20), be(20..24))
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn sample_chart() -> Chart {
    let x: Vec<f64> = (0..50).map(|i| i as f64 * 0.1).collect();
    let y: Vec<f64> = x.iter().map(|v| v.sin()).collect();
    let mut z: Vec<f64> = x.iter().map(|v| 0.5 * v.cos()).collect();
    z[10] = f64::NAN;
    z[11] = f64::INFINITY;
    Chart::new("Firing rate vs time")
        .labels("time (s)", "rate (Hz)")
        .series(Series::line("sine trace", x.clone(), y))
        .series(Series::markers("cosine dots", x.clone(), z).with_errors(vec![0.1; 50]))
        .hline(0.0)
        .size(640, 480)
}

#[test]
fn save_chart_writes_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("sub/folder/fig1");
    let chart = sample_chart();
    let [png, svg] = save_chart(&chart, &base).unwrap();
    assert_eq!(png, dir.path().join("sub/folder/fig1.png"));
    assert_eq!(svg, dir.path().join("sub/folder/fig1.svg"));

    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    assert_eq!(png_dims(&bytes), (640, 480));

    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg"));
    for needle in [
        "Firing rate vs time",
        "sine trace",
        "cosine dots",
        "time (s)",
    ] {
        assert!(text.contains(needle), "svg lacks {needle:?}");
    }
    assert_eq!(
        files_in(&dir.path().join("sub/folder")),
        ["fig1.png", "fig1.svg"]
    );

    // Overwriting works and still leaves no temporaries.
    save_chart(&chart, &base).unwrap();
    assert_eq!(
        files_in(&dir.path().join("sub/folder")),
        ["fig1.png", "fig1.svg"]
    );
}

#[test]
fn default_size_and_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    // Single point, default size, unlabelled single series (no legend).
    let c = Chart::new("one point").series(Series::line("", vec![1.0], vec![2.0]));
    let [png, _] = save_chart(&c, &dir.path().join("single")).unwrap();
    assert_eq!(png_dims(&std::fs::read(png).unwrap()), (900, 600));
    // Constant data with zeros.
    let c = Chart::new("flat").series(Series::markers("zeros", vec![0.0; 5], vec![0.0; 5]));
    save_chart(&c, &dir.path().join("flat")).unwrap();
    // Log axis with non-positive values and error bars reaching below zero.
    let c = Chart::new("log")
        .log_y(true)
        .hline(1.0)
        .hline(0.0)
        .series(
            Series::line_markers("decay", vec![0., 1., 2., 3.], vec![100.0, 10.0, -1.0, 0.1])
                .with_errors(vec![200.0, 1.0, 1.0, 0.01]),
        )
        .series(Series::line("", vec![0., 3.], vec![5.0, 5.0]));
    save_chart(&c, &dir.path().join("log")).unwrap();
    assert_eq!(files_in(dir.path()).len(), 6);
}

#[test]
fn no_data_is_an_error_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("empty");
    let cases = [
        Chart::new("no series"),
        Chart::new("empty").series(Series::line("a", vec![], vec![])),
        Chart::new("nan").series(Series::line(
            "a",
            vec![1.0, 2.0],
            vec![f64::NAN, f64::NEG_INFINITY],
        )),
        Chart::new("log")
            .log_y(true)
            .series(Series::line("a", vec![1.0, 2.0], vec![0.0, -3.0])),
    ];
    for c in &cases {
        let err = save_chart(c, &base).unwrap_err();
        assert!(
            matches!(err, PlotError::NoData { .. }),
            "{}: {err}",
            c.title
        );
        assert!(
            err.to_string().contains("empty"),
            "message names the path: {err}"
        );
    }
    let err = save_panels(&cases, 2, &base, "all empty").unwrap_err();
    assert!(matches!(err, PlotError::NoData { .. }));
    assert!(files_in(dir.path()).is_empty());

    let bad = Chart::new("bad").series(Series::line("a", vec![1.0], vec![1.0, 2.0]));
    assert!(matches!(
        save_chart(&bad, &base),
        Err(PlotError::InvalidInput { .. })
    ));
    assert!(matches!(
        save_panels(&[sample_chart()], 0, &base, ""),
        Err(PlotError::InvalidInput { .. })
    ));
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn save_panels_writes_both_files() {
    let dir = tempfile::tempdir().unwrap();
    let panels: Vec<Chart> = [0.5, 1.0, 1.5, 2.0, 2.5]
        .iter()
        .map(|&g| {
            let x: Vec<f64> = (0..100).map(|i| i as f64).collect();
            let mut c = Chart::new(format!("g = {g}"))
                .labels("t (ms)", "activity")
                .size(300, 200);
            for n in 0..3 {
                let y = x.iter().map(|t| (g * t * 0.05 + n as f64).sin()).collect();
                c = c.series(Series::line(format!("neuron {n}"), x.clone(), y));
            }
            c
        })
        .chain([Chart::new("no data").size(300, 200)])
        .collect();
    let base = dir.path().join("panels");
    let [png, svg] = save_panels(&panels, 3, &base, "Activity traces").unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(png_dims(&bytes), (900, 2 * 200 + 50));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.contains("<svg") && text.contains("Activity traces") && text.contains("g = 2.5"));
    assert_eq!(files_in(dir.path()), ["panels.png", "panels.svg"]);
}

#[test]
fn tick_labels() {
    assert_eq!(tick_label(-1e-17, -1.1, 1.1, false), "0");
    assert_eq!(tick_label(0.4, -1.1, 1.1, false), "0.4");
    assert_eq!(tick_label(-0.25, -1.1, 1.1, false), "-0.25");
    assert_eq!(tick_label(1.0, -1.1, 1.1, false), "1");
    assert_eq!(tick_label(20.0, -5.0, 104.0, false), "20");
    assert_eq!(tick_label(0.0012, 0.001, 0.002, false), "0.0012");
    assert_eq!(tick_label(0.1, 0.05, 200.0, true), "0.1");
    assert_eq!(tick_label(1e-7, 1e-8, 1.0, true), "1e-7");
}

#[test]
fn error_display_names_path() {
    let e = PlotError::Io {
        path: PathBuf::from("/x/y.png"),
        source: std::io::Error::other("boom"),
    };
    assert!(e.to_string().contains("/x/y.png"));
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn gif_has_one_frame_per_entry_and_the_palette_maps_its_own_colours() {
    let dir = tempfile::tempdir().unwrap();
    let frames: Vec<(String, Vec<Chart>)> = (1..=4)
        .map(|k| {
            let x: Vec<f64> = (0..10 * k).map(|i| i as f64).collect();
            let y = x.iter().map(|v| v * 0.5).collect();
            let c = Chart::new("raster")
                .series(Series::dots("spikes", x, y))
                .x_range(0.0, 40.0)
                .y_range(0.0, 20.0)
                .size(320, 200);
            (format!("frame {k}"), vec![c.clone(), c])
        })
        .collect();
    let gif = save_gif(&frames, 1, &dir.path().join("anim"), 100).unwrap();
    assert_eq!(files_in(dir.path()), ["anim.gif"], "no temporaries left");
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::Indexed);
    let mut dec = opts.read_info(std::fs::File::open(&gif).unwrap()).unwrap();
    assert_eq!((dec.width(), dec.height()), (320, 2 * 200 + 50));
    let mut n = 0;
    while let Some(f) = dec.read_next_frame().unwrap() {
        assert_eq!(f.delay, 10, "1/100 s units");
        n += 1;
    }
    assert_eq!(n, 4);
    // Every palette colour maps to itself, except the cube's greys, which
    // go to the finer grey ramp (within half a ramp step, 255 / 78).
    let pal = gif_palette();
    assert_eq!(pal.len(), 768);
    for (i, c) in pal.chunks_exact(3).enumerate() {
        let j = palette_index(c) as usize;
        let got = &pal[3 * j..3 * j + 3];
        let grey_in_cube = i < 216 && c[0] == c[1] && c[1] == c[2];
        if grey_in_cube {
            assert!(j >= 216, "colour {i}");
            assert!(
                got.iter().zip(c).all(|(a, b)| a.abs_diff(*b) <= 4),
                "colour {i}"
            );
        } else {
            assert_eq!(got, c, "colour {i}");
        }
    }
    assert!(matches!(
        save_gif(&[], 1, &dir.path().join("none"), 100),
        Err(PlotError::NoData { .. })
    ));
}

#[test]
fn fixed_ranges_and_png_only_panels() {
    let dir = tempfile::tempdir().unwrap();
    let c = sample_chart().x_range(-10.0, 10.0).y_range(-2.0, 2.0);
    let png = save_panels_png(&[c.clone(), c], 2, &dir.path().join("p"), "").unwrap();
    assert_eq!(files_in(dir.path()), ["p.png"]);
    assert_eq!(png_dims(&std::fs::read(png).unwrap()), (1280, 480));
}
