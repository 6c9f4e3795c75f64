//! Heatmaps: a matrix drawn as coloured cells, row 0 at the top, with tick
//! labels and a colour bar.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontDesc, FontFamily, FontStyle, FontTransform};

use super::{
    DrawResult, FONT, Figure, PlotError, font_registered, invalid, tick_label, write_both,
};

/// matplotlib's viridis at 0, 0.1, ..., 1.
pub(crate) const VIRIDIS: [[u8; 3]; 11] = [
    [68, 1, 84],
    [72, 36, 117],
    [65, 68, 135],
    [53, 95, 141],
    [42, 120, 142],
    [33, 145, 140],
    [34, 168, 132],
    [68, 191, 112],
    [122, 209, 81],
    [189, 223, 38],
    [253, 231, 37],
];
/// matplotlib's RdBu_r (ColorBrewer RdBu, reversed: blue low, red high) at
/// 0, 0.1, ..., 1; the neutral centre is anchor 5.
pub(crate) const RDBU_R: [[u8; 3]; 11] = [
    [5, 48, 97],
    [33, 102, 172],
    [67, 147, 195],
    [146, 197, 222],
    [209, 229, 240],
    [247, 247, 247],
    [253, 219, 199],
    [244, 165, 130],
    [214, 96, 77],
    [178, 24, 43],
    [103, 0, 31],
];
/// matplotlib's Greys (ColorBrewer, white low, black high) at 0, 1/8, ..., 1.
pub(crate) const GREYS: [[u8; 3]; 9] = [
    [255, 255, 255],
    [240, 240, 240],
    [217, 217, 217],
    [189, 189, 189],
    [150, 150, 150],
    [115, 115, 115],
    [82, 82, 82],
    [37, 37, 37],
    [0, 0, 0],
];
/// Colour of NaN (and other non-finite) cells.
pub(crate) const MISSING: [u8; 3] = [224, 224, 224];

/// Colour scale of a [`Heatmap`]: linear interpolation between a few anchor
/// colours of the matplotlib colour map of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Colormap {
    /// Perceptually uniform dark purple → green → yellow (matplotlib "viridis").
    #[default]
    Viridis,
    /// Diverging blue → white → red (matplotlib "RdBu_r": low values blue, high
    /// values red). Without a fixed [`Heatmap::range`] the range is symmetric
    /// about 0, so 0 is the neutral white.
    RdBu,
    /// Sequential white → black (matplotlib "Greys").
    Greys,
}

impl Colormap {
    /// The anchor colours, evenly spaced over `0..=1`.
    pub(crate) fn anchors(self) -> &'static [[u8; 3]] {
        match self {
            Colormap::Viridis => &VIRIDIS,
            Colormap::RdBu => &RDBU_R,
            Colormap::Greys => &GREYS,
        }
    }

    /// Unrounded colour at `t` (clamped to `0..=1`).
    pub(crate) fn rgb_f64(self, t: f64) -> [f64; 3] {
        let a = self.anchors();
        let n = a.len() - 1;
        let s = t.clamp(0.0, 1.0) * n as f64;
        let i = (s.floor() as usize).min(n - 1);
        let f = s - i as f64;
        std::array::from_fn(|c| {
            let (lo, hi) = (a[i][c] as f64, a[i + 1][c] as f64);
            lo + f * (hi - lo)
        })
    }

    /// Colour `[r, g, b]` at position `t` of the scale (`0` = low end, `1` =
    /// high end; clamped). NaN gives the light grey used for missing cells.
    pub fn rgb(self, t: f64) -> [u8; 3] {
        if t.is_nan() {
            return MISSING;
        }
        self.rgb_f64(t).map(|v| v.round() as u8)
    }
}

/// A matrix drawn as a grid of coloured cells (see [`save_heatmap`]).
///
/// `values` is row-major: cell `(i, j)` is `values[i * cols + j]`, drawn in
/// the `i`-th row from the top and the `j`-th column from the left.
#[derive(Debug, Clone, PartialEq)]
pub struct Heatmap {
    /// Caption above the plot.
    pub title: String,
    /// Cell values, row-major, `rows * cols` of them; non-finite cells are
    /// drawn light grey.
    pub values: Vec<f64>,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns.
    pub cols: usize,
    /// One label per row (left), or empty for the row indices.
    pub row_labels: Vec<String>,
    /// One label per column (below), or empty for the column indices.
    pub col_labels: Vec<String>,
    /// Description below the column labels.
    pub x_label: String,
    /// Description left of the row labels.
    pub y_label: String,
    /// Colour scale.
    pub colormap: Colormap,
    /// Value range mapped onto the colour scale (values outside are
    /// clamped). Default: the finite values' min..max, or for
    /// [`Colormap::RdBu`] `-m..m` with `m` their largest magnitude.
    pub range: Option<(f64, f64)>,
    /// Description next to the colour bar.
    pub colorbar_label: String,
    /// Image size in pixels (width, height).
    pub size: (u32, u32),
    /// Write each cell's value in it with this many decimals (None: no
    /// text; meant for small grids).
    pub annotate: Option<usize>,
    /// With `annotate`: a spread per cell (such as the sd over seeds),
    /// written after the value as `± spread` where finite.
    pub spread: Option<Vec<f64>>,
    /// Cells `(row, column)` framed by a thick outline, with a legend line
    /// under the title each: `(row, column, what)`.
    pub marks: Vec<(usize, usize, String)>,
}

impl Heatmap {
    /// A `rows` x `cols` heatmap of row-major `values`, viridis, no labels,
    /// size 900x750.
    pub fn new(title: impl Into<String>, values: Vec<f64>, rows: usize, cols: usize) -> Self {
        Self {
            title: title.into(),
            values,
            rows,
            cols,
            row_labels: Vec::new(),
            col_labels: Vec::new(),
            x_label: String::new(),
            y_label: String::new(),
            colormap: Colormap::default(),
            range: None,
            colorbar_label: String::new(),
            size: (900, 750),
            annotate: None,
            spread: None,
            marks: Vec::new(),
        }
    }

    /// Write each cell's value in it with `decimals` decimals.
    pub fn annotate(mut self, decimals: usize) -> Self {
        self.annotate = Some(decimals);
        self
    }

    /// Write `± spread[cell]` after each annotated value (row-major, one
    /// per cell; non-finite: nothing).
    pub fn spread(mut self, spread: Vec<f64>) -> Self {
        self.spread = Some(spread);
        self
    }

    /// Frame cell `(row, col)` and say `what` it is under the title.
    pub fn mark(mut self, row: usize, col: usize, what: impl Into<String>) -> Self {
        self.marks.push((row, col, what.into()));
        self
    }

    /// Set the row and column labels (each: one per row/column, or none for
    /// indices). Anything printable works, e.g. region names or parameter
    /// values such as `["0.1", "0.5"]`.
    pub fn labels<R, C>(mut self, row_labels: R, col_labels: C) -> Self
    where
        R: IntoIterator,
        R::Item: ToString,
        C: IntoIterator,
        C::Item: ToString,
    {
        self.row_labels = row_labels.into_iter().map(|l| l.to_string()).collect();
        self.col_labels = col_labels.into_iter().map(|l| l.to_string()).collect();
        self
    }

    /// Use the same labels for rows and columns (region-by-region matrices).
    pub fn region_labels<L>(self, labels: L) -> Self
    where
        L: IntoIterator,
        L::Item: ToString,
    {
        let l: Vec<String> = labels.into_iter().map(|l| l.to_string()).collect();
        self.labels(l.clone(), l)
    }

    /// Set the axis descriptions (below the columns, left of the rows).
    pub fn axis_labels(mut self, x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        self.x_label = x_label.into();
        self.y_label = y_label.into();
        self
    }

    /// Set the colour scale.
    pub fn colormap(mut self, colormap: Colormap) -> Self {
        self.colormap = colormap;
        self
    }

    /// Map `lo..hi` onto the colour scale (fixed across figures).
    pub fn range(mut self, lo: f64, hi: f64) -> Self {
        self.range = Some((lo, hi));
        self
    }

    /// Set the colour bar description.
    pub fn colorbar_label(mut self, label: impl Into<String>) -> Self {
        self.colorbar_label = label.into();
        self
    }

    /// Set the image size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }
}

/// Write `heatmap` to `<base>.png` and `<base>.svg` (parent folder created),
/// atomically like [`save_chart`](crate::save_chart).
///
/// Row 0 is at the top. Tick labels that would overlap are thinned to every
/// k-th; long labels are shortened with an ellipsis. Returns the paths
/// `[png, svg]`. Fails, writing nothing, with [`PlotError::InvalidInput`] on
/// inconsistent sizes, label counts, ranges or an image too small for its
/// labels, and with [`PlotError::NoData`] when no value is finite.
pub fn save_heatmap(heatmap: &Heatmap, base: &Path) -> Result<[PathBuf; 2], PlotError> {
    validate_heatmap(heatmap, base)?;
    let Some(range) = color_range(heatmap) else {
        return Err(PlotError::NoData {
            path: base.to_path_buf(),
        });
    };
    let l = layout(heatmap, range);
    let [x0, y0, x1, y1] = l.plot;
    if x1 - x0 < 1 || y1 - y0 < 1 {
        let m = format!(
            "heatmap '{}': size {}x{} leaves no room for the cells",
            heatmap.title, heatmap.size.0, heatmap.size.1
        );
        return Err(invalid(base, m));
    }
    write_both(base, heatmap.size, &Figure::Heatmap(heatmap))
}

fn validate_heatmap(h: &Heatmap, base: &Path) -> Result<(), PlotError> {
    let err = |m: String| Err(invalid(base, format!("heatmap '{}': {m}", h.title)));
    if h.size.0 == 0 || h.size.1 == 0 {
        return err("zero image size".into());
    }
    if h.rows == 0 || h.cols == 0 {
        return err(format!("{} rows x {} columns", h.rows, h.cols));
    }
    if h.rows.checked_mul(h.cols) != Some(h.values.len()) {
        return err(format!(
            "{} values for {} rows x {} columns",
            h.values.len(),
            h.rows,
            h.cols
        ));
    }
    for (what, n, want) in [
        ("row labels", h.row_labels.len(), h.rows),
        ("column labels", h.col_labels.len(), h.cols),
    ] {
        if n != 0 && n != want {
            return err(format!("{n} {what} for {want} (give all or none)"));
        }
    }
    if let Some((lo, hi)) = h.range {
        if !(lo.is_finite() && hi.is_finite() && lo < hi) {
            return err(format!("range {lo}..{hi} is not finite and increasing"));
        }
    }
    Ok(())
}

/// The value range mapped onto the colour scale; `None` without finite values.
pub(crate) fn color_range(h: &Heatmap) -> Option<(f64, f64)> {
    let (lo, hi) =
        h.values
            .iter()
            .filter(|v| v.is_finite())
            .fold(None, |acc: Option<(f64, f64)>, &v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })?;
    if let Some(r) = h.range {
        return Some(r);
    }
    if h.colormap == Colormap::RdBu {
        let m = lo.abs().max(hi.abs());
        let m = if m > 0.0 { m } else { 1.0 };
        return Some((-m, m));
    }
    if hi - lo <= 1e-12 * lo.abs().max(hi.abs()) {
        // Constant data: its colour is the middle of the scale.
        let d = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        return Some((lo - d, hi + d));
    }
    Some((lo, hi))
}

/// Colour of `v` on `cmap` over `range` (non-finite: [`MISSING`]).
pub(crate) fn value_rgb(cmap: Colormap, v: f64, (lo, hi): (f64, f64)) -> [u8; 3] {
    if !v.is_finite() {
        return MISSING;
    }
    cmap.rgb((v - lo) / (hi - lo))
}

// ---------------------------------------------------------------------------
// Layout.

const MARGIN: i32 = 10;
const TICK: i32 = 4;
pub(crate) const TICK_FONT: f64 = 13.0;
const DESC_FONT: f64 = 15.0;
const TITLE_FONT: f64 = 22.0;
/// Room for a rotated axis description (font height plus a gap).
const DESC_W: i32 = 22;
const BAR_GAP: i32 = 18;
const BAR_W: i32 = 18;
const MAX_BAR_STEPS: usize = 8;

/// Pixel size of `text` in the bundled font (estimated if it is unusable).
pub(crate) fn text_size(text: &str, size: f64) -> (i32, i32) {
    let est = (
        (text.chars().count() as f64 * 0.6 * size).ceil() as i32,
        (size / 1.24) as i32,
    );
    if !font_registered() {
        return est;
    }
    FontDesc::new(FontFamily::Name(FONT), size, FontStyle::Normal)
        .box_size(text)
        .map(|(w, h)| (w as i32, h as i32))
        .unwrap_or(est)
}

/// `text`, shortened with an ellipsis to at most `max_w` pixels.
fn fit_text(text: &str, max_w: i32) -> String {
    if text_size(text, TICK_FONT).0 <= max_w {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    (1..chars.len())
        .rev()
        .map(|n| chars[..n].iter().collect::<String>() + "…")
        .find(|s| text_size(s, TICK_FONT).0 <= max_w)
        .unwrap_or_else(|| "…".into())
}

/// Smallest step `k >= 1` with `k * cell >= need`.
fn label_step(need: i32, cell: f64) -> usize {
    if cell <= 0.0 {
        return usize::MAX;
    }
    ((need as f64 / cell).ceil() as usize).max(1)
}

/// Round tick values within `lo..=hi`, at most `max_n + 1` of them (a
/// step of 1, 2, 2.5 or 5 times a power of ten, at least a `max_n`-th of
/// the span).
pub(crate) fn nice_ticks(lo: f64, hi: f64, max_n: usize) -> Vec<f64> {
    let raw = (hi - lo) / max_n.max(1) as f64;
    if !(raw.is_finite() && raw > 0.0) {
        return vec![lo, hi];
    }
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|&s| s >= raw * (1.0 - 1e-9))
        .unwrap_or(10.0 * mag);
    let first = (lo / step - 1e-9).ceil();
    (0..=max_n.max(1) + 1)
        .map(|k| (first + k as f64) * step)
        .take_while(|&v| v <= hi + step * 1e-9)
        .collect()
}

/// Where everything of a heatmap goes, in pixels. Rectangles are
/// `[x0, y0, x1, y1]` with `x1`, `y1` exclusive.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// The matrix cells.
    pub(crate) plot: [i32; 4],
    /// The colour bar.
    pub(crate) bar: [i32; 4],
    rows: usize,
    cols: usize,
    /// Displayed row / column labels (all of them; every `*_step`-th is drawn).
    pub(crate) row_text: Vec<String>,
    pub(crate) col_text: Vec<String>,
    pub(crate) row_step: usize,
    pub(crate) col_step: usize,
    /// Column labels read bottom-to-top.
    pub(crate) col_rotated: bool,
    /// Height of the column label band below the ticks.
    col_band: i32,
    pub(crate) range: (f64, f64),
    /// Colour bar ticks: value and text.
    pub(crate) bar_ticks: Vec<(f64, String)>,
    bar_text_w: i32,
}

impl Layout {
    /// Left edge of column `j` (`j == cols`: right edge of the last one).
    pub(crate) fn col_edge(&self, j: usize) -> i32 {
        let [x0, _, x1, _] = self.plot;
        x0 + ((x1 - x0) as i64 * j as i64 / self.cols as i64) as i32
    }

    /// Top edge of row `i` (`i == rows`: bottom edge of the last one).
    pub(crate) fn row_edge(&self, i: usize) -> i32 {
        let [_, y0, _, y1] = self.plot;
        y0 + ((y1 - y0) as i64 * i as i64 / self.rows as i64) as i32
    }

    /// Pixel rectangle of cell `(i, j)` (row `i` from the top).
    pub(crate) fn cell(&self, i: usize, j: usize) -> [i32; 4] {
        [
            self.col_edge(j),
            self.row_edge(i),
            self.col_edge(j + 1),
            self.row_edge(i + 1),
        ]
    }

    /// Pixel row of value `v` on the colour bar.
    pub(crate) fn bar_y(&self, v: f64) -> i32 {
        let [_, y0, _, y1] = self.bar;
        let (lo, hi) = self.range;
        let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
        y1 - 1 - (t * (y1 - y0 - 1).max(0) as f64).round() as i32
    }
}

pub(crate) fn layout(h: &Heatmap, range: (f64, f64)) -> Layout {
    let (w, ht) = (h.size.0 as i32, h.size.1 as i32);
    let texts = |labels: &[String], n: usize, max_w: i32| -> Vec<String> {
        if labels.is_empty() {
            (0..n).map(|i| i.to_string()).collect()
        } else {
            labels.iter().map(|l| fit_text(l, max_w)).collect()
        }
    };
    let max_w = |t: &[String]| {
        t.iter()
            .map(|s| text_size(s, TICK_FONT).0)
            .max()
            .unwrap_or(0)
    };
    let text_h = text_size("0", TICK_FONT).1;

    let top = if h.title.is_empty() {
        MARGIN + text_h / 2
    } else {
        MARGIN + text_size(&h.title, TITLE_FONT).1 + 14
    } + h.marks.len() as i32 * (TICK_FONT as i32 + 4);

    let row_text = texts(&h.row_labels, h.rows, (w / 4).max(30));
    let left = MARGIN + if h.y_label.is_empty() { 0 } else { DESC_W } + max_w(&row_text) + TICK + 4;

    let (lo, hi) = range;
    let ticks = |max_n: usize| -> Vec<(f64, String)> {
        nice_ticks(lo, hi, max_n)
            .into_iter()
            .map(|v| (v, tick_label(v, lo, hi, false)))
            .collect()
    };
    // Room for the finest tick set; coarser ones have no longer labels.
    let bar_text_w = ticks(MAX_BAR_STEPS)
        .iter()
        .map(|(_, s)| text_size(s, TICK_FONT).0)
        .max()
        .unwrap_or(0);
    let bar_desc = if h.colorbar_label.is_empty() {
        0
    } else {
        DESC_W + 4
    };
    let right = BAR_GAP + BAR_W + TICK + 3 + bar_text_w + bar_desc + MARGIN;
    let (x0, x1) = (left, w - right);

    let col_text = texts(&h.col_labels, h.cols, (ht / 4).max(30));
    let col_w = max_w(&col_text);
    let cell_w = (x1 - x0) as f64 / h.cols as f64;
    let step_flat = label_step(col_w + 6, cell_w);
    let step_rot = label_step(text_h + 3, cell_w);
    let col_rotated = step_flat > step_rot;
    let (col_step, col_band) = if col_rotated {
        (step_rot, col_w)
    } else {
        (step_flat, text_h)
    };
    let x_desc = if h.x_label.is_empty() { 0 } else { DESC_W + 6 };
    let bottom = TICK + 4 + col_band + x_desc + MARGIN;
    let (y0, y1) = (top, ht - bottom);
    let cell_h = (y1 - y0) as f64 / h.rows as f64;
    let row_step = label_step(text_h + 3, cell_h);
    let bar_ticks = ticks(((y1 - y0) / (text_h + 6)).clamp(2, MAX_BAR_STEPS as i32) as usize);

    let bx0 = x1 + BAR_GAP;
    Layout {
        plot: [x0, y0, x1, y1],
        bar: [bx0, y0, bx0 + BAR_W, y1],
        rows: h.rows,
        cols: h.cols,
        row_text,
        col_text,
        row_step,
        col_step,
        col_rotated,
        col_band,
        range,
        bar_ticks,
        bar_text_w,
    }
}

// ---------------------------------------------------------------------------
// Drawing.

fn rgb(c: [u8; 3]) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

fn text_style(size: f64, h: HPos, v: VPos) -> TextStyle<'static> {
    TextStyle::from((FONT, size).into_font()).pos(Pos::new(h, v))
}

/// Fill `[x0, x1) x [y0, y1)`. Opaque fills are end-exclusive in both the
/// bitmap and the SVG backend.
fn fill<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    [x0, y0, x1, y1]: [i32; 4],
    c: [u8; 3],
) -> DrawResult<DB> {
    if x1 > x0 && y1 > y0 {
        area.draw(&Rectangle::new([(x0, y0), (x1, y1)], rgb(c).filled()))?;
    }
    Ok(())
}

fn line<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    a: (i32, i32),
    b: (i32, i32),
) -> DrawResult<DB> {
    area.draw(&PathElement::new(vec![a, b], FRAME))?;
    Ok(())
}

const FRAME: RGBColor = RGBColor(60, 60, 60);

/// Frames of marked cells: magenta, then orange (apart from viridis and
/// RdBu).
const MARK_COLOURS: [RGBColor; 2] = [RGBColor(230, 0, 180), RGBColor(255, 140, 0)];

pub(crate) fn draw_heatmap<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    h: &Heatmap,
) -> DrawResult<DB> {
    let Some(range) = color_range(h) else {
        return Ok(());
    };
    let l = layout(h, range);
    let [x0, y0, x1, y1] = l.plot;
    let (w, _) = area.dim_in_pixel();

    if !h.title.is_empty() {
        let style = text_style(TITLE_FONT, HPos::Center, VPos::Top);
        area.draw_text(&h.title, &style, (w as i32 / 2, MARGIN))?;
    }

    // Cells, row by row; runs of equal colour as one rectangle (small SVGs).
    for i in 0..h.rows {
        let row = &h.values[i * h.cols..(i + 1) * h.cols];
        let mut start = 0;
        for j in 1..=h.cols {
            let c = value_rgb(h.colormap, row[start], range);
            if j == h.cols || value_rgb(h.colormap, row[j], range) != c {
                let [a, b, _, _] = l.cell(i, start);
                let [_, _, d, e] = l.cell(i, j - 1);
                fill(area, [a, b, d, e], c)?;
                start = j;
            }
        }
    }
    area.draw(&Rectangle::new([(x0 - 1, y0 - 1), (x1, y1)], FRAME))?;

    // Each cell's value, black or white by the cell's lightness.
    if let Some(decimals) = h.annotate {
        for i in 0..h.rows {
            for j in 0..h.cols {
                let v = h.values[i * h.cols + j];
                let [a, b, c, d] = l.cell(i, j);
                let spread = h
                    .spread
                    .as_ref()
                    .and_then(|s| s.get(i * h.cols + j).copied())
                    .filter(|s| s.is_finite());
                let text = match (v.is_finite(), spread) {
                    (true, Some(s)) => format!("{v:.decimals$} ± {s:.decimals$}"),
                    (true, None) => format!("{v:.decimals$}"),
                    (false, _) => "n/a".to_string(),
                };
                let [r, g, bl] = value_rgb(h.colormap, v, range);
                let light = 0.299 * r as f64 + 0.587 * g as f64 + 0.114 * bl as f64 > 140.0;
                let colour = if light { BLACK } else { WHITE };
                let size = (((d - b).min(c - a) as f64) * 0.3).clamp(9.0, TICK_FONT + 2.0);
                let style = TextStyle::from((FONT, size).into_font())
                    .pos(Pos::new(HPos::Center, VPos::Center))
                    .color(&colour);
                area.draw_text(&text, &style, ((a + c) / 2, (b + d) / 2))?;
            }
        }
    }
    // Marked cells: a thick frame each, and their meaning under the title.
    for (k, (i, j, what)) in h.marks.iter().enumerate() {
        if *i >= h.rows || *j >= h.cols {
            continue;
        }
        let [a, b, c, d] = l.cell(*i, *j);
        let colour = MARK_COLOURS[k % MARK_COLOURS.len()];
        // each further mark inside the previous ones, so that a cell with
        // two marks shows both
        for t in (3 * k as i32)..(3 * k as i32 + 3) {
            area.draw(&Rectangle::new(
                [(a + t, b + t), (c - 1 - t, d - 1 - t)],
                colour,
            ))?;
        }
        let style = text_style(TICK_FONT, HPos::Left, VPos::Top).color(&colour);
        area.draw_text(
            &format!("[ ] {what}"),
            &style,
            (
                x0,
                y0 - 4 - (h.marks.len() - k) as i32 * (TICK_FONT as i32 + 4),
            ),
        )?;
    }

    // Row labels (left) and column labels (below).
    let row_style = text_style(TICK_FONT, HPos::Right, VPos::Center);
    for i in (0..h.rows).step_by(l.row_step.max(1)) {
        let y = (l.row_edge(i) + l.row_edge(i + 1)) / 2;
        line(area, (x0 - 1 - TICK, y), (x0 - 1, y))?;
        area.draw_text(&l.row_text[i], &row_style, (x0 - TICK - 4, y))?;
    }
    let col_style = if l.col_rotated {
        text_style(TICK_FONT, HPos::Right, VPos::Center).transform(FontTransform::Rotate270)
    } else {
        text_style(TICK_FONT, HPos::Center, VPos::Top)
    };
    for j in (0..h.cols).step_by(l.col_step.max(1)) {
        let x = (l.col_edge(j) + l.col_edge(j + 1)) / 2;
        line(area, (x, y1), (x, y1 + TICK))?;
        area.draw_text(&l.col_text[j], &col_style, (x, y1 + TICK + 3))?;
    }

    // Axis descriptions.
    if !h.x_label.is_empty() {
        let style = text_style(DESC_FONT, HPos::Center, VPos::Top);
        let y = y1 + TICK + 4 + l.col_band + 8;
        area.draw_text(&h.x_label, &style, ((x0 + x1) / 2, y))?;
    }
    let vertical =
        text_style(DESC_FONT, HPos::Center, VPos::Center).transform(FontTransform::Rotate270);
    if !h.y_label.is_empty() {
        area.draw_text(&h.y_label, &vertical, (MARGIN + 8, (y0 + y1) / 2))?;
    }

    // Colour bar: one line of pixels per colour step, top = high end.
    let [bx0, by0, bx1, by1] = l.bar;
    let n = (by1 - by0 - 1).max(1) as f64;
    let mut start = by0;
    for y in by0 + 1..=by1 {
        let c = h.colormap.rgb((by1 - 1 - start) as f64 / n);
        if y == by1 || h.colormap.rgb((by1 - 1 - y) as f64 / n) != c {
            fill(area, [bx0, start, bx1, y], c)?;
            start = y;
        }
    }
    area.draw(&Rectangle::new([(bx0 - 1, by0 - 1), (bx1, by1)], FRAME))?;
    let tick_style = text_style(TICK_FONT, HPos::Left, VPos::Center);
    for (v, s) in &l.bar_ticks {
        let y = l.bar_y(*v);
        line(area, (bx1, y), (bx1 + TICK, y))?;
        area.draw_text(s, &tick_style, (bx1 + TICK + 3, y))?;
    }
    if !h.colorbar_label.is_empty() {
        let x = bx1 + TICK + 3 + l.bar_text_w + 4 + DESC_W / 2;
        area.draw_text(&h.colorbar_label, &vertical, (x, (by0 + by1) / 2))?;
    }
    Ok(())
}
