use super::*;
use crate::animation::{gif_palette, palette_index};

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
    let gif = save_gif(
        frames.len(),
        |k| frames[k].clone(),
        1,
        &dir.path().join("anim"),
        100,
    )
    .unwrap();
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
        save_gif(0, |k| frames[k].clone(), 1, &dir.path().join("none"), 100),
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

// ---------------------------------------------------------------------------
// Heatmaps.

use crate::heatmap::{
    GREYS, MISSING, RDBU_R, TICK_FONT, VIRIDIS, color_range, layout, nice_ticks, text_size,
    value_rgb,
};

/// Draw `h` into an RGB buffer through the same path as the PNG file.
fn render_rgb(h: &Heatmap) -> Vec<u8> {
    assert!(font_registered());
    let mut buf = vec![0u8; h.size.0 as usize * h.size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, h.size).into_drawing_area();
        draw_figure(&root, &Figure::Heatmap(h)).unwrap();
        root.present().unwrap();
    }
    buf
}

fn pixel(buf: &[u8], width: u32, x: i32, y: i32) -> [u8; 3] {
    let i = 3 * (y as usize * width as usize + x as usize);
    [buf[i], buf[i + 1], buf[i + 2]]
}

/// Relative luminance (sRGB, linearised).
fn luminance(c: [u8; 3]) -> f64 {
    let lin = |v: u8| {
        let v = v as f64 / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

fn region_names(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{}-region{i}", if i < n / 2 { "lh" } else { "rh" }))
        .collect()
}

fn connectivity(n: usize) -> Vec<f64> {
    let mut v: Vec<f64> = (0..n * n)
        .map(|k| {
            let (i, j) = (k / n, k % n);
            (-(i as f64 - j as f64).abs() / 6.0).exp() - 0.3
        })
        .collect();
    for i in 0..n {
        v[i * n + i] = f64::NAN;
    }
    v
}

#[test]
fn heatmap_writes_png_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("sub/fc");
    let h = Heatmap::new("Functional connectivity", connectivity(68), 68, 68)
        .region_labels(region_names(68))
        .axis_labels("target region", "source region")
        .colormap(Colormap::RdBu)
        .colorbar_label("Pearson r")
        .size(800, 700);
    let [png, svg] = save_heatmap(&h, &base).unwrap();
    assert_eq!(png, dir.path().join("sub/fc.png"));
    assert_eq!(svg, dir.path().join("sub/fc.svg"));
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&bytes[12..16], b"IHDR");
    assert_eq!(png_dims(&bytes), (800, 700));
    let text = std::fs::read_to_string(&svg).unwrap();
    for needle in [
        "<svg",
        "Functional connectivity",
        "lh-region0",
        "rh-region66",
        "target region",
        "source region",
        "Pearson r",
    ] {
        assert!(text.contains(needle), "svg lacks {needle:?}");
    }
    assert_eq!(files_in(&dir.path().join("sub")), ["fc.png", "fc.svg"]);

    // The fit-landscape case: parameter values as labels, default size.
    let ks = [0.1, 0.5, 1.0, 2.0, 5.0];
    let speeds = ["1", "3", "10", "30"];
    let fit: Vec<f64> = (0..20).map(|k| (k as f64 * 0.7).sin()).collect();
    let h = Heatmap::new("fit", fit, 5, 4)
        .labels(ks, speeds)
        .axis_labels("speed (m/s)", "coupling k");
    let [png, svg] = save_heatmap(&h, &dir.path().join("landscape")).unwrap();
    assert_eq!(png_dims(&std::fs::read(png).unwrap()), (900, 750));
    let text = std::fs::read_to_string(svg).unwrap();
    for needle in [
        ">\n0.1\n<",
        ">\n0.5\n<",
        ">\n5\n<",
        ">\n30\n<",
        "coupling k",
    ] {
        assert!(text.contains(needle), "svg lacks {needle:?}");
    }
}

#[test]
fn heatmap_builder_sets_every_field() {
    let h = Heatmap::new("t", vec![1.0; 6], 2, 3)
        .labels(["a", "b"], vec![1, 2, 3])
        .axis_labels("x", "y")
        .colormap(Colormap::Greys)
        .range(-1.0, 2.0)
        .colorbar_label("c")
        .size(300, 200);
    assert_eq!((h.rows, h.cols, h.values.len()), (2, 3, 6));
    assert_eq!(h.row_labels, ["a", "b"]);
    assert_eq!(h.col_labels, ["1", "2", "3"]);
    assert_eq!((h.x_label.as_str(), h.y_label.as_str()), ("x", "y"));
    assert_eq!(h.colormap, Colormap::Greys);
    assert_eq!(h.range, Some((-1.0, 2.0)));
    assert_eq!(h.colorbar_label, "c");
    assert_eq!(h.size, (300, 200));
    let r = Heatmap::new("t", vec![1.0; 4], 2, 2).region_labels(["p", "q"]);
    assert_eq!(r.row_labels, ["p", "q"]);
    assert_eq!(r.col_labels, ["p", "q"]);
}

#[test]
fn colormaps_interpolate_between_their_anchors() {
    for (cmap, anchors) in [
        (Colormap::Viridis, &VIRIDIS[..]),
        (Colormap::RdBu, &RDBU_R[..]),
        (Colormap::Greys, &GREYS[..]),
    ] {
        assert_eq!(cmap.anchors(), anchors);
        let n = anchors.len() - 1;
        assert_eq!(cmap.rgb(0.0), anchors[0]);
        assert_eq!(cmap.rgb(1.0), anchors[n]);
        assert_eq!(cmap.rgb(-3.0), anchors[0], "clamped");
        assert_eq!(cmap.rgb(7.0), anchors[n], "clamped");
        for (k, a) in anchors.iter().enumerate() {
            assert_eq!(cmap.rgb(k as f64 / n as f64), *a, "{cmap:?} anchor {k}");
        }
        // Half-way between two anchors: the channel means.
        let mid = cmap.rgb(0.5 / n as f64);
        for c in 0..3 {
            let want = (anchors[0][c] as f64 + anchors[1][c] as f64) / 2.0;
            assert!((mid[c] as f64 - want).abs() <= 0.5, "{cmap:?} channel {c}");
        }
        assert_eq!(cmap.rgb(f64::NAN), MISSING);
    }
    assert_eq!(RDBU_R[5], [247, 247, 247], "neutral centre");
    assert!(RDBU_R[0][2] > RDBU_R[0][0], "low end blue");
    assert!(RDBU_R[10][0] > RDBU_R[10][2], "high end red");

    // Viridis grows in luminance along the whole scale: strictly on the
    // interpolated colours, and on the rounded ones at 1 % steps.
    let lum_f = |c: [f64; 3]| 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    let mut prev = -1.0;
    for k in 0..=1000 {
        let l = lum_f(Colormap::Viridis.rgb_f64(k as f64 / 1000.0));
        assert!(l > prev, "viridis luminance at {k}/1000");
        prev = l;
    }
    let mut prev = -1.0;
    for k in 0..=100 {
        let l = luminance(Colormap::Viridis.rgb(k as f64 / 100.0));
        assert!(l > prev, "viridis relative luminance at {k}/100");
        prev = l;
    }
    // Greys darkens monotonically.
    for k in 0..100 {
        let (a, b) = (k as f64 / 100.0, (k + 1) as f64 / 100.0);
        assert!(luminance(Colormap::Greys.rgb(b)) <= luminance(Colormap::Greys.rgb(a)));
    }
}

#[test]
fn rdbu_is_symmetric_about_zero_without_a_range() {
    let h = Heatmap::new("fc", vec![-0.3, 0.0, 0.9, 0.2], 2, 2)
        .colormap(Colormap::RdBu)
        .size(400, 300);
    let range = color_range(&h).unwrap();
    assert_eq!(range, (-0.9, 0.9));
    assert_eq!(value_rgb(Colormap::RdBu, 0.0, range), RDBU_R[5]);
    assert_eq!(value_rgb(Colormap::RdBu, 0.9, range), RDBU_R[10]);
    assert_eq!(value_rgb(Colormap::RdBu, -0.9, range), RDBU_R[0]);
    // Drawn: the zero cell (0, 1) is the neutral centre.
    let buf = render_rgb(&h);
    let [x0, y0, x1, y1] = layout(&h, range).cell(0, 1);
    assert_eq!(pixel(&buf, 400, (x0 + x1) / 2, (y0 + y1) / 2), RDBU_R[5]);

    // All positive: still symmetric, so 0 stays white.
    let h = Heatmap::new("pos", vec![0.5, 2.0], 1, 2).colormap(Colormap::RdBu);
    assert_eq!(color_range(&h), Some((-2.0, 2.0)));
    // A fixed range is used as given.
    let h = h.range(0.0, 1.0);
    assert_eq!(color_range(&h), Some((0.0, 1.0)));
    assert_eq!(value_rgb(Colormap::RdBu, 0.0, (0.0, 1.0)), RDBU_R[0]);
    // Other maps use min..max; constant data sits mid-scale.
    let h = Heatmap::new("v", vec![2.0, 5.0, f64::NAN], 1, 3);
    assert_eq!(color_range(&h), Some((2.0, 5.0)));
    let (lo, hi) = color_range(&Heatmap::new("c", vec![3.0; 4], 2, 2)).unwrap();
    assert!(lo < 3.0 && hi > 3.0 && ((lo + hi) / 2.0 - 3.0).abs() < 1e-12);
}

#[test]
fn row_zero_is_drawn_at_the_top() {
    let (rows, cols) = (4, 3);
    let mut values: Vec<f64> = (0..rows * cols).map(|k| 0.1 * (k % 5) as f64).collect();
    values[0] = 10.0; // cell (0, 0): the top of the scale
    values[rows * cols - 1] = f64::NAN; // cell (3, 2): missing
    let h = Heatmap::new("orientation", values.clone(), rows, cols)
        .labels(["r0", "r1", "r2", "r3"], ["c0", "c1", "c2"])
        .colorbar_label("value")
        .size(500, 400);
    let range = color_range(&h).unwrap();
    let l = layout(&h, range);
    let [px0, py0, px1, py1] = l.plot;
    // The layout puts row 0 at the top-left corner of the plot area.
    assert_eq!(l.cell(0, 0)[..2], [px0, py0]);
    assert_eq!(l.cell(rows - 1, cols - 1)[2..], [px1, py1]);
    assert!(l.cell(0, 0)[3] <= l.cell(1, 0)[1]);
    assert!(py1 < 400 / 2 + 200 && py0 < 400 / 2);

    let buf = render_rgb(&h);
    let top = VIRIDIS[10];
    // Every pixel of cell (0, 0) has the top colour...
    let [x0, y0, x1, y1] = l.cell(0, 0);
    assert!(x1 - x0 > 10 && y1 - y0 > 10);
    for y in y0..y1 {
        for x in x0..x1 {
            assert_eq!(pixel(&buf, 500, x, y), top, "({x}, {y})");
        }
    }
    // ...including the plot area's top-left pixel, and the image's top-left
    // quarter holds it, the bottom-left does not.
    assert_eq!(pixel(&buf, 500, px0, py0), top);
    let [bx0, by0, bx1, by1] = l.cell(rows - 1, 0);
    assert_ne!(pixel(&buf, 500, (bx0 + bx1) / 2, (by0 + by1) / 2), top);
    // Every cell's centre has its value's colour; the NaN cell is grey.
    for i in 0..rows {
        for j in 0..cols {
            let [x0, y0, x1, y1] = l.cell(i, j);
            let want = value_rgb(Colormap::Viridis, values[i * cols + j], range);
            assert_eq!(
                pixel(&buf, 500, (x0 + x1) / 2, (y0 + y1) / 2),
                want,
                "cell ({i}, {j})"
            );
        }
    }
    let [x0, y0, x1, y1] = l.cell(rows - 1, cols - 1);
    assert_eq!(pixel(&buf, 500, (x0 + x1) / 2, (y0 + y1) / 2), MISSING);
    // The colour bar runs from the low end (bottom) to the high end (top).
    let [bx0, by0, bx1, by1] = l.bar;
    let bx = (bx0 + bx1) / 2;
    assert_eq!(pixel(&buf, 500, bx, by0), VIRIDIS[10]);
    assert_eq!(pixel(&buf, 500, bx, by1 - 1), VIRIDIS[0]);
    assert_eq!(l.bar_y(range.1), by0);
    assert_eq!(l.bar_y(range.0), by1 - 1);
}

#[test]
fn crowded_labels_are_thinned_and_shortened() {
    let th = text_size("0", TICK_FONT).1;
    // 68 regions on 800 x 700: every k-th label, without overlap.
    let h = Heatmap::new("sc", connectivity(68), 68, 68).region_labels(region_names(68));
    let h = h.size(800, 700);
    let l = layout(&h, color_range(&h).unwrap());
    let cell_h = (l.plot[3] - l.plot[1]) as f64 / 68.0;
    let cell_w = (l.plot[2] - l.plot[0]) as f64 / 68.0;
    assert!(
        l.row_step > 1 && l.col_step > 1,
        "{} {}",
        l.row_step,
        l.col_step
    );
    assert!(l.row_step as f64 * cell_h >= th as f64);
    assert!(l.col_rotated, "long labels read bottom-to-top");
    assert!(l.col_step as f64 * cell_w >= th as f64);
    assert!(
        (l.col_step - 1) as f64 * cell_w < (th + 3) as f64,
        "no thinner than needed"
    );
    // Bar ticks keep their distance too.
    let ys: Vec<i32> = l.bar_ticks.iter().map(|(v, _)| l.bar_y(*v)).collect();
    assert!(ys.len() >= 3);
    assert!(ys.windows(2).all(|w| w[0] - w[1] >= th + 2), "{ys:?}");

    // Few short labels: all drawn, horizontal.
    let h =
        Heatmap::new("fit", vec![0.0; 20], 5, 4).labels([0.1, 0.5, 1.0, 2.0, 5.0], [1, 3, 10, 30]);
    let l = layout(&h, (0.0, 1.0));
    assert_eq!((l.row_step, l.col_step, l.col_rotated), (1, 1, false));
    assert_eq!(l.row_text, ["0.1", "0.5", "1", "2", "5"]);
    // No labels: indices.
    let h = Heatmap::new("idx", vec![0.0; 6], 2, 3);
    let l = layout(&h, (0.0, 1.0));
    assert_eq!(l.row_text, ["0", "1"]);
    assert_eq!(l.col_text, ["0", "1", "2"]);
    // A very long label is cut to a quarter of the width, with an ellipsis.
    let long = "x".repeat(300);
    let h = Heatmap::new("long", vec![0.0; 2], 2, 1).labels([long.as_str(), "b"], ["c"]);
    let l = layout(&h.clone().size(400, 300), (0.0, 1.0));
    assert!(l.row_text[0].ends_with('…') && l.row_text[0].len() < 300);
    assert!(text_size(&l.row_text[0], TICK_FONT).0 <= 100);
    assert_eq!(l.row_text[1], "b");
    let dir = tempfile::tempdir().unwrap();
    save_heatmap(&h.size(400, 300), &dir.path().join("long")).unwrap();
}

#[test]
fn colour_bar_ticks_are_round() {
    assert_eq!(
        nice_ticks(0.0, 1.0, 5),
        [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
    );
    assert_eq!(
        nice_ticks(-0.9, 0.9, 8),
        [-0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75]
    );
    assert_eq!(nice_ticks(3.0, 97.0, 5), [20.0, 40.0, 60.0, 80.0]);
    assert_eq!(nice_ticks(0.1, 0.7, 2), [0.5]);
    for (lo, hi, n) in [(0.0, 1e-6, 7), (-3e5, 2e5, 4), (0.3, 0.30001, 3)] {
        let t = nice_ticks(lo, hi, n);
        assert!(!t.is_empty() && t.len() <= n + 1, "{lo}..{hi}: {t:?}");
        assert!(t.iter().all(|&v| v >= lo - 1e-12 && v <= hi + 1e-12));
    }
}

#[test]
fn invalid_heatmaps_are_rejected_and_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().join("bad_heatmap");
    let ok = Heatmap::new("m", vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0], 2, 3);
    let invalid_cases = [
        ("length", Heatmap::new("m", vec![1.0; 5], 2, 3)),
        ("zero rows", Heatmap::new("m", vec![], 0, 3)),
        ("zero cols", Heatmap::new("m", vec![], 2, 0)),
        ("overflow", Heatmap::new("m", vec![1.0], usize::MAX, 2)),
        ("row labels", ok.clone().labels(["a"], Vec::<String>::new())),
        ("col labels", ok.clone().labels(["a", "b"], ["x", "y"])),
        ("range order", ok.clone().range(1.0, 1.0)),
        ("range nan", ok.clone().range(f64::NAN, 1.0)),
        ("range inf", ok.clone().range(0.0, f64::INFINITY)),
        ("zero size", ok.clone().size(0, 100)),
        ("tiny size", ok.clone().size(40, 30)),
    ];
    for (what, h) in &invalid_cases {
        let err = save_heatmap(h, &base).unwrap_err();
        assert!(
            matches!(err, PlotError::InvalidInput { .. }),
            "{what}: {err}"
        );
        assert!(err.to_string().contains("bad_heatmap"), "{what}: {err}");
    }
    for values in [
        vec![f64::NAN; 6],
        vec![
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::NAN,
            f64::NAN,
            f64::NAN,
        ],
    ] {
        let h = Heatmap::new("nan", values, 2, 3).range(0.0, 1.0);
        let err = save_heatmap(&h, &base).unwrap_err();
        assert!(matches!(err, PlotError::NoData { .. }), "{err}");
        assert!(err.to_string().contains("bad_heatmap"));
    }
    assert!(files_in(dir.path()).is_empty());
    save_heatmap(&ok, &base).unwrap();
    assert_eq!(files_in(dir.path()), ["bad_heatmap.png", "bad_heatmap.svg"]);
}

#[test]
fn marked_cells_are_framed_in_their_colours_and_values_written_in_contrast() {
    let values = vec![0.0, 1.0, 0.5, 0.25];
    let h = Heatmap::new("marks", values, 2, 2)
        .colormap(Colormap::Greys)
        .range(0.0, 1.0)
        .annotate(2)
        .mark(0, 1, "best")
        .mark(0, 1, "true")
        .size(500, 400);
    assert_eq!(h.annotate, Some(2));
    assert_eq!(h.marks.len(), 2);
    let range = color_range(&h).unwrap();
    let l = layout(&h, range);
    let buf = render_rgb(&h);
    // the first mark's frame on the cell's edge, the second inside it
    let [x0, y0, x1, _] = l.cell(0, 1);
    let mid = (x0 + x1) / 2;
    assert_eq!(pixel(&buf, 500, mid, y0), [230, 0, 180]);
    assert_eq!(pixel(&buf, 500, mid, y0 + 3), [255, 140, 0]);
    // an unmarked cell has no frame: its edge has its value's colour
    let [a, b, c, _] = l.cell(1, 0);
    assert_eq!(
        pixel(&buf, 500, (a + c) / 2, b + 1),
        value_rgb(Colormap::Greys, 0.5, range)
    );
    // the text in a cell contrasts with it: some pixels of the centre
    // region differ from the fill, in the other direction of lightness
    for (i, j, v) in [(0, 0, 0.0), (1, 1, 0.25)] {
        let [a, b, c, d] = l.cell(i, j);
        let fill = value_rgb(Colormap::Greys, v, range);
        let (cx, cy) = ((a + c) / 2, (b + d) / 2);
        let text: Vec<[u8; 3]> = (cx - 20..cx + 20)
            .flat_map(|x| (cy - 6..cy + 6).map(move |y| (x, y)))
            .map(|(x, y)| pixel(&buf, 500, x, y))
            .filter(|p| *p != fill)
            .collect();
        assert!(!text.is_empty(), "no text in cell ({i}, {j})");
        let darker = text.iter().any(|p| luminance(*p) < luminance(fill));
        let lighter = text.iter().any(|p| luminance(*p) > luminance(fill));
        assert!(
            darker != lighter,
            "cell ({i}, {j}): text both darker and lighter"
        );
    }
}

#[test]
fn a_log_x_axis_skips_non_positive_x_and_pads_in_decades() {
    let chart = Chart::new("log x")
        .log_x(true)
        .log_y(true)
        .series(Series::line(
            "a",
            vec![0.0, 1.0, 10.0, 100.0],
            vec![1.0, 0.1, 0.01, 0.001],
        ));
    let (xr, yr) = data_ranges(&chart).unwrap();
    // x = 0 is skipped; the range is 1..100 padded by 5 % of its two
    // decades on each side, in log10
    let want = |lo: f64, hi: f64| (10f64.powf(lo - 0.1), 10f64.powf(hi + 0.1));
    let (lo, hi) = want(0.0, 2.0);
    assert!(
        (xr.start - lo).abs() < 1e-12 && (xr.end - hi).abs() < 1e-9,
        "{xr:?}"
    );
    // y of the skipped point (1.0) is left out too: 0.1..0.001
    let (lo, hi) = want(-3.0, -1.0);
    assert!(
        (yr.start / lo - 1.0).abs() < 1e-9 && (yr.end / hi - 1.0).abs() < 1e-9,
        "{yr:?}"
    );
    // and it draws
    let dir = tempfile::tempdir().unwrap();
    let files = save_chart(&chart, &dir.path().join("loglog")).unwrap();
    assert!(files.iter().all(|f| f.is_file()));
}

/// Draw `chart` into an RGB buffer through the same path as the PNG file.
fn render_chart_rgb(chart: &Chart) -> Vec<u8> {
    assert!(font_registered());
    let mut buf = vec![0u8; chart.size.0 as usize * chart.size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut buf, chart.size).into_drawing_area();
        draw_figure(&root, &Figure::Single(chart)).unwrap();
        root.present().unwrap();
    }
    buf
}

#[test]
fn a_band_spans_its_own_values_around_the_line_and_a_span_shades_only_its_stretch() {
    // a line at y = 5 with the band 4..8 over x 0..10, and x 6..9 shaded
    let x: Vec<f64> = (0..=10).map(f64::from).collect();
    let chart = Chart::new("")
        .x_range(0.0, 10.0)
        .y_range(0.0, 10.0)
        .series(
            Series::line("median", x.clone(), vec![5.0; 11])
                .with_band(vec![4.0; 11], vec![8.0; 11]),
        )
        .shade_x(6.0, 9.0, "trained")
        .size(600, 400);
    let buf = render_chart_rgb(&chart);
    let (w, h) = chart.size;
    let is_line = |c: [u8; 3]| i32::from(c[2]) > i32::from(c[0]) + 60 && c[0] < 120;
    let is_band = |c: [u8; 3]| i32::from(c[2]) > i32::from(c[0]) + 15 && c[0] >= 120;
    let is_span = |c: [u8; 3]| c[0] == c[1] && c[1] == c[2] && (215..=228).contains(&c[0]);
    // the columns the line crosses, and in each the rows of line and band
    let columns: Vec<i32> = (0..w as i32)
        .filter(|&px| (0..h as i32).any(|py| is_line(pixel(&buf, w, px, py))))
        .collect();
    assert!(
        columns.len() > 300,
        "the line spans the plot: {}",
        columns.len()
    );
    let (first, last) = (columns[0], *columns.last().unwrap());
    let probe = |frac: f64| first + ((last - first) as f64 * frac) as i32;
    for frac in [0.3, 0.75] {
        let px = probe(frac);
        let rows = |f: &dyn Fn([u8; 3]) -> bool| -> Vec<i32> {
            (0..h as i32)
                .filter(|&py| f(pixel(&buf, w, px, py)))
                .collect()
        };
        let band = rows(&is_band);
        let line = rows(&is_line);
        let (top, bottom) = (band[0] as f64, *band.last().unwrap() as f64);
        let mid = line.iter().sum::<i32>() as f64 / line.len() as f64;
        // 5 is a quarter of the way up from 4 to 8
        let up = (bottom - mid) / (bottom - top);
        assert!(
            (up - 0.25).abs() < 0.03,
            "column {px}: line at {up} of the band"
        );
        // inside 6..9 the shade fills the plot above and below the band
        // (between grid lines), and at x = 3 there is none
        let shaded = rows(&is_span);
        let above = shaded.iter().filter(|&&r| (r as f64) < top).count() as f64;
        let below = shaded.iter().filter(|&&r| (r as f64) > bottom).count() as f64;
        let band_px = bottom - top;
        if frac > 0.6 {
            // 2 units above the band and 4 below, less the grid lines
            assert!(
                above > 0.3 * band_px && below > 0.6 * band_px,
                "{above} {below} {band_px}"
            );
        } else {
            assert!(shaded.len() < 3, "no shade at x = 3: {}", shaded.len());
        }
    }
}

#[test]
fn a_band_of_the_wrong_length_is_refused() {
    let chart = Chart::new("").series(
        Series::line("a", vec![0.0, 1.0], vec![0.0, 1.0]).with_band(vec![0.0], vec![1.0, 2.0]),
    );
    let dir = tempfile::tempdir().unwrap();
    let err = save_chart(&chart, &dir.path().join("c")).unwrap_err();
    assert!(
        err.to_string()
            .contains("the band has 1 and 2 values, y has 2"),
        "{err}"
    );
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn a_spread_is_written_after_the_value_only_where_it_is_finite() {
    // two cells of one value: the first with a spread, the second without
    let h = Heatmap::new("spread", vec![0.5, 0.5], 1, 2)
        .colormap(Colormap::Greys)
        .range(0.0, 1.0)
        .annotate(3)
        .spread(vec![0.012, f64::NAN])
        .size(600, 300);
    let range = color_range(&h).unwrap();
    let l = layout(&h, range);
    let buf = render_rgb(&h);
    let fill = value_rgb(Colormap::Greys, 0.5, range);
    // the columns of each cell that hold text, and how wide they spread
    let ink = |j: usize| {
        let [a, b, c, d] = l.cell(0, j);
        let cols: Vec<i32> = (a + 2..c - 2)
            .filter(|&x| (b + 2..d - 2).any(|y| pixel(&buf, 600, x, y) != fill))
            .collect();
        cols.last().unwrap() - cols.first().unwrap()
    };
    // "0.500 ± 0.012" is more than twice as wide as "0.500"
    assert!(ink(0) > 2 * ink(1), "{} vs {}", ink(0), ink(1));
}
