//! neurodyn-plot: small, dependency-light plotting helpers.
//!
//! Plain data in ([`Chart`], [`Series`], [`Heatmap`]), PNG + SVG files out
//! ([`save_chart`], [`save_panels`], [`save_heatmap`]). All text uses the
//! bundled DejaVu Sans font (registered as `"sans-serif"` through plotters'
//! `ab_glyph` support), so no system fontconfig/freetype is needed. Files are
//! written atomically: each is drawn to a hidden temporary file in the
//! destination folder and then renamed.
#![warn(missing_docs)]

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

mod animation;
mod heatmap;
mod output;

pub use animation::save_gif;
pub use heatmap::{Colormap, Heatmap, save_heatmap};
use output::{write_both, write_png};

/// Font family name used for all text.
const FONT: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("../../../data/fonts/DejaVuSans.ttf");

/// Fixed colour palette, cycled per series: matplotlib's "tab10", then the
/// light shades of its "tab20", so that up to 20 series differ (a figure
/// with 12 no longer repeats its first two colours).
const PALETTE: [RGBColor; 20] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(174, 199, 232),
    RGBColor(255, 187, 120),
    RGBColor(152, 223, 138),
    RGBColor(255, 152, 150),
    RGBColor(197, 176, 213),
    RGBColor(196, 156, 148),
    RGBColor(247, 182, 210),
    RGBColor(199, 199, 199),
    RGBColor(219, 219, 141),
    RGBColor(158, 218, 229),
];
const REF_GREY: RGBColor = RGBColor(150, 150, 150);
const SPAN_GREY: RGBColor = RGBColor(160, 160, 160);

/// Errors from writing a figure; every variant names the output path concerned.
#[derive(Debug)]
pub enum PlotError {
    /// Nothing plottable (no series, or no finite / positive-for-log points).
    NoData {
        /// Output base path of the figure.
        path: PathBuf,
    },
    /// Inconsistent input (length mismatch, zero size, zero columns, bad path).
    InvalidInput {
        /// Output path concerned.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Filesystem error (creating the folder, writing or renaming a file).
    Io {
        /// Path being written.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The plotting backend failed (drawing, font, or encoding).
    Draw {
        /// Output file being drawn.
        path: PathBuf,
        /// Backend error message.
        message: String,
    },
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::NoData { path } => {
                write!(f, "plot {}: no finite data to plot", path.display())
            }
            PlotError::InvalidInput { path, message } => {
                write!(f, "plot {}: invalid input: {message}", path.display())
            }
            PlotError::Io { path, source } => {
                write!(f, "plot {}: I/O error: {source}", path.display())
            }
            PlotError::Draw { path, message } => {
                write!(f, "plot {}: drawing failed: {message}", path.display())
            }
        }
    }
}

impl std::error::Error for PlotError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PlotError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SeriesStyle {
    /// Connected line (broken at skipped non-finite points).
    #[default]
    Line,
    /// Filled circular markers only.
    Markers,
    /// Line with markers.
    LineMarkers,
    /// Small dots (one pixel of radius): spike rasters.
    Dots,
}

/// One data series: `x`/`y` of equal length, optional symmetric `y_err`.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend label (empty: unlabelled).
    pub label: String,
    /// X values.
    pub x: Vec<f64>,
    /// Y values.
    pub y: Vec<f64>,
    /// Optional symmetric error (half-length of the whisker) per point.
    pub y_err: Option<Vec<f64>>,
    /// Drawing style.
    pub style: SeriesStyle,
    /// Palette slot (None: the series' position in the chart). Series that
    /// pair up, such as data and its fit, share one.
    pub colour: Option<usize>,
    /// Optional shaded band `(lo, hi)` per point, in the series' colour: the
    /// spread across seeds (quartiles, min..max) around a median or mean.
    pub band: Option<(Vec<f64>, Vec<f64>)>,
}

impl Series {
    /// A line series.
    pub fn line(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self {
            label: label.into(),
            x,
            y,
            y_err: None,
            style: SeriesStyle::Line,
            colour: None,
            band: None,
        }
    }

    /// A marker-only series.
    pub fn markers(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self {
            style: SeriesStyle::Markers,
            ..Self::line(label, x, y)
        }
    }

    /// Small dots only (spike rasters).
    pub fn dots(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self {
            style: SeriesStyle::Dots,
            ..Self::line(label, x, y)
        }
    }

    /// A line-with-markers series.
    pub fn line_markers(label: impl Into<String>, x: Vec<f64>, y: Vec<f64>) -> Self {
        Self {
            style: SeriesStyle::LineMarkers,
            ..Self::line(label, x, y)
        }
    }

    /// Attach symmetric error bars (drawn as vertical whiskers).
    pub fn with_errors(mut self, err: Vec<f64>) -> Self {
        self.y_err = Some(err);
        self
    }

    /// Change the drawing style.
    pub fn with_style(mut self, style: SeriesStyle) -> Self {
        self.style = style;
        self
    }

    /// Draw in palette slot `k` (shared by series that pair up).
    pub fn with_colour(mut self, k: usize) -> Self {
        self.colour = Some(k);
        self
    }

    /// Shade the band from `lo` to `hi` (one value of each per point) in a
    /// light tint of the series' colour.
    pub fn with_band(mut self, lo: Vec<f64>, hi: Vec<f64>) -> Self {
        self.band = Some((lo, hi));
        self
    }
}

/// A shaded stretch of the x axis, such as a training window.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    /// Start on the x axis.
    pub lo: f64,
    /// End on the x axis.
    pub hi: f64,
    /// Legend entry.
    pub label: String,
}

/// A single 2-D chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Caption above the plot.
    pub title: String,
    /// X axis description.
    pub x_label: String,
    /// Y axis description.
    pub y_label: String,
    /// Data series, drawn in order with palette colours.
    pub series: Vec<Series>,
    /// Logarithmic y axis (only positive values are plotted).
    pub log_y: bool,
    /// Logarithmic x axis (non-positive x values are skipped).
    pub log_x: bool,
    /// Dashed grey horizontal reference lines (e.g. `y = 0`).
    pub hlines: Vec<f64>,
    /// Grey shaded stretches of the x axis, drawn under the data.
    pub spans: Vec<Span>,
    /// Image size in pixels (width, height); also the cell size in [`save_panels`].
    pub size: (u32, u32),
    /// Fixed x range (default: the data's, padded).
    pub x_range: Option<(f64, f64)>,
    /// Fixed y range (default: the data's, padded).
    pub y_range: Option<(f64, f64)>,
}

impl Default for Chart {
    fn default() -> Self {
        Self {
            title: String::new(),
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            log_y: false,
            log_x: false,
            hlines: Vec::new(),
            spans: Vec::new(),
            size: (900, 600),
            x_range: None,
            y_range: None,
        }
    }
}

impl Chart {
    /// A chart with a title and no series, size 900x600.
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            ..Self::default()
        }
    }

    /// Set the axis descriptions.
    pub fn labels(mut self, x_label: impl Into<String>, y_label: impl Into<String>) -> Self {
        self.x_label = x_label.into();
        self.y_label = y_label.into();
        self
    }

    /// Add a series.
    pub fn series(mut self, series: Series) -> Self {
        self.series.push(series);
        self
    }

    /// Use a logarithmic x axis.
    pub fn log_x(mut self, log_x: bool) -> Self {
        self.log_x = log_x;
        self
    }

    /// Use a logarithmic y axis.
    pub fn log_y(mut self, log_y: bool) -> Self {
        self.log_y = log_y;
        self
    }

    /// Add a dashed grey horizontal reference line at `y`.
    pub fn hline(mut self, y: f64) -> Self {
        self.hlines.push(y);
        self
    }

    /// Shade the x axis from `lo` to `hi` in grey under the data, with a
    /// legend entry (e.g. the loops trained).
    pub fn shade_x(mut self, lo: f64, hi: f64, label: impl Into<String>) -> Self {
        self.spans.push(Span {
            lo,
            hi,
            label: label.into(),
        });
        self
    }

    /// Fix the x axis to `lo..hi` (animation frames keep their axes).
    pub fn x_range(mut self, lo: f64, hi: f64) -> Self {
        self.x_range = Some((lo, hi));
        self
    }

    /// Fix the y axis to `lo..hi`.
    pub fn y_range(mut self, lo: f64, hi: f64) -> Self {
        self.y_range = Some((lo, hi));
        self
    }

    /// Set the image size in pixels.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width, height);
        self
    }
}

/// Write `chart` to `<base>.png` and `<base>.svg` (parent folder created).
///
/// Returns the two paths `[png, svg]`. Fails with [`PlotError::NoData`] (and
/// writes nothing) when no series has a plottable point.
pub fn save_chart(chart: &Chart, base: &Path) -> Result<[PathBuf; 2], PlotError> {
    validate(chart, base)?;
    if data_ranges(chart).is_none() {
        return Err(PlotError::NoData {
            path: base.to_path_buf(),
        });
    }
    write_both(base, chart.size, &Figure::Single(chart))
}

/// Write small multiples: `panels` in a grid of `columns` columns under a
/// common `title`, to `<base>.png` and `<base>.svg`.
///
/// Each cell has the size of the first panel's `size` (set e.g. 450x300 for
/// compact grids). Panels without plottable data are drawn empty; an error
/// [`PlotError::NoData`] is returned only if no panel has data.
pub fn save_panels(
    panels: &[Chart],
    columns: usize,
    base: &Path,
    title: &str,
) -> Result<[PathBuf; 2], PlotError> {
    let (size, rows, columns) = panel_layout(panels, columns, base, title)?;
    write_both(
        base,
        size,
        &Figure::Panels {
            panels,
            rows,
            columns,
            title,
        },
    )
}

/// [`save_panels`] to `<base>.png` only: for figures of so many points
/// (spike rasters) that an SVG would weigh megabytes.
pub fn save_panels_png(
    panels: &[Chart],
    columns: usize,
    base: &Path,
    title: &str,
) -> Result<PathBuf, PlotError> {
    let (size, rows, columns) = panel_layout(panels, columns, base, title)?;
    write_png(
        base,
        size,
        &Figure::Panels {
            panels,
            rows,
            columns,
            title,
        },
    )
}

/// Image size, rows and columns of a panel grid (errors as in [`save_panels`]).
fn panel_layout(
    panels: &[Chart],
    columns: usize,
    base: &Path,
    title: &str,
) -> Result<((u32, u32), usize, usize), PlotError> {
    if columns == 0 {
        return Err(invalid(base, "columns must be at least 1".into()));
    }
    for p in panels {
        validate(p, base)?;
    }
    if panels.iter().all(|p| data_ranges(p).is_none()) {
        return Err(PlotError::NoData {
            path: base.to_path_buf(),
        });
    }
    let columns = columns.min(panels.len());
    let rows = panels.len().div_ceil(columns);
    let (cw, ch) = panels[0].size;
    let title_h = if title.is_empty() { 0 } else { 50 };
    let size = (
        cw.saturating_mul(columns as u32),
        ch.saturating_mul(rows as u32) + title_h,
    );
    Ok((size, rows, columns))
}

// ---------------------------------------------------------------------------

enum Figure<'a> {
    Single(&'a Chart),
    Heatmap(&'a Heatmap),
    Panels {
        panels: &'a [Chart],
        rows: usize,
        columns: usize,
        title: &'a str,
    },
}

fn invalid(path: &Path, message: String) -> PlotError {
    PlotError::InvalidInput {
        path: path.to_path_buf(),
        message,
    }
}

fn validate(chart: &Chart, base: &Path) -> Result<(), PlotError> {
    if chart.size.0 == 0 || chart.size.1 == 0 {
        return Err(invalid(
            base,
            format!("chart '{}' has a zero size", chart.title),
        ));
    }
    for s in &chart.series {
        if s.x.len() != s.y.len() {
            let m = format!(
                "series '{}': x has {} values, y has {}",
                s.label,
                s.x.len(),
                s.y.len()
            );
            return Err(invalid(base, m));
        }
        if let Some(e) = &s.y_err
            && e.len() != s.y.len()
        {
            let m = format!(
                "series '{}': y_err has {} values, y has {}",
                s.label,
                e.len(),
                s.y.len()
            );
            return Err(invalid(base, m));
        }
        if let Some((lo, hi)) = &s.band
            && (lo.len() != s.y.len() || hi.len() != s.y.len())
        {
            let m = format!(
                "series '{}': the band has {} and {} values, y has {}",
                s.label,
                lo.len(),
                hi.len(),
                s.y.len()
            );
            return Err(invalid(base, m));
        }
    }
    Ok(())
}

fn font_registered() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| register_font(FONT, FontStyle::Normal, FONT_BYTES).is_ok())
}

fn plottable(chart: &Chart, x: f64, y: f64) -> bool {
    x.is_finite() && y.is_finite() && (!chart.log_y || y > 0.0) && (!chart.log_x || x > 0.0)
}

/// `padded` in log10 space for a log axis.
fn padded_axis(v: &[f64], log: bool) -> Range<f64> {
    if log {
        let l: Vec<f64> = v.iter().map(|v| v.log10()).collect();
        let r = padded(&l);
        10f64.powf(r.start)..10f64.powf(r.end)
    } else {
        padded(v)
    }
}

/// Error-bar extent `(lo, hi)` of point `i`, if any.
fn err_span(s: &Series, i: usize) -> Option<(f64, f64)> {
    let e = s.y_err.as_ref()?.get(i)?.abs();
    e.is_finite().then(|| (s.y[i] - e, s.y[i] + e))
}

/// Band extent `(lo, hi)` of point `i`, where both ends are finite.
fn band_span(s: &Series, i: usize) -> Option<(f64, f64)> {
    let (lo, hi) = s.band.as_ref()?;
    let (lo, hi) = (*lo.get(i)?, *hi.get(i)?);
    (lo.is_finite() && hi.is_finite()).then_some((lo, hi))
}

/// Axis ranges with margins, or `None` when nothing is plottable.
fn data_ranges(chart: &Chart) -> Option<(Range<f64>, Range<f64>)> {
    let log = chart.log_y;
    let (mut xs, mut ys) = (Vec::new(), Vec::new());
    for s in &chart.series {
        for (i, (&x, &y)) in s.x.iter().zip(&s.y).enumerate() {
            if !plottable(chart, x, y) {
                continue;
            }
            xs.push(x);
            ys.push(y);
            if let Some((lo, hi)) = err_span(s, i) {
                ys.extend([lo, hi].into_iter().filter(|&v| !log || v > 0.0));
            }
            if let Some((lo, hi)) = band_span(s, i) {
                ys.extend([lo, hi].into_iter().filter(|&v| !log || v > 0.0));
            }
        }
    }
    if xs.is_empty() {
        return None;
    }
    ys.extend(
        chart
            .hlines
            .iter()
            .copied()
            .filter(|&h| h.is_finite() && (!log || h > 0.0)),
    );
    Some((padded_axis(&xs, chart.log_x), padded_axis(&ys, log)))
}

/// Min..max with a 5% margin; constant data is expanded around its value.
fn padded(v: &[f64]) -> Range<f64> {
    let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let span = hi - lo;
    if span <= 1e-12 * lo.abs().max(hi.abs()).max(1e-300) {
        let d = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        (lo - d)..(hi + d)
    } else {
        (lo - 0.05 * span)..(hi + 0.05 * span)
    }
}

// ---------------------------------------------------------------------------
// Drawing.

type DrawResult<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    fig: &Figure<'_>,
) -> DrawResult<DB> {
    root.fill(&WHITE)?;
    match fig {
        Figure::Single(chart) => draw_chart(root, chart),
        Figure::Heatmap(h) => heatmap::draw_heatmap(root, h),
        Figure::Panels {
            panels,
            rows,
            columns,
            title,
        } => {
            let area = if title.is_empty() {
                root.clone()
            } else {
                root.titled(title, (FONT, 30).into_font())?
            };
            for (cell, chart) in area
                .split_evenly((*rows, *columns))
                .iter()
                .zip(panels.iter())
            {
                draw_chart(cell, chart)?;
            }
            Ok(())
        }
    }
}

fn draw_chart<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, chart: &Chart) -> DrawResult<DB> {
    let (mut xr, mut yr) = data_ranges(chart).unwrap_or((
        if chart.log_x { 0.1..10.0 } else { 0.0..1.0 },
        if chart.log_y { 0.1..10.0 } else { 0.0..1.0 },
    ));
    if let Some((lo, hi)) = chart
        .x_range
        .filter(|(lo, hi)| hi > lo && (!chart.log_x || *lo > 0.0))
    {
        xr = lo..hi;
    }
    if let Some((lo, hi)) = chart
        .y_range
        .filter(|(lo, hi)| hi > lo && (!chart.log_y || *lo > 0.0))
    {
        yr = lo..hi;
    }
    let xb = (xr.start, xr.end);
    let yb = (yr.start, yr.end);
    match (chart.log_x, chart.log_y) {
        (false, false) => plot_in(area, chart, xr, xb, yr, yb),
        (false, true) => plot_in(area, chart, xr, xb, yr.log_scale(), yb),
        (true, false) => plot_in(area, chart, xr.log_scale(), xb, yr, yb),
        (true, true) => plot_in(area, chart, xr.log_scale(), xb, yr.log_scale(), yb),
    }
}

/// Tick text: decimals suited to the axis span, no "-0"; plain numbers on log axes.
fn tick_label(v: f64, lo: f64, hi: f64, log: bool) -> String {
    if log {
        let a = v.abs();
        return if (1e-4..1e6).contains(&a) {
            format!("{}", (v * 1e6).round() / 1e6)
        } else {
            format!("{v:.0e}")
        };
    }
    let span = (hi - lo).abs().max(f64::MIN_POSITIVE);
    if v.abs() < span * 1e-9 {
        return "0".into();
    }
    // One decimal more than a tenth of the span needs, trailing zeros trimmed.
    let decimals = (1.0 - (span / 10.0).log10().floor()).clamp(0.0, 12.0) as usize;
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    if s == "-0" { "0".into() } else { s.to_string() }
}

fn plot_in<DB, X, Y>(
    area: &DrawingArea<DB, Shift>,
    chart: &Chart,
    xr: X,
    (x0, x1): (f64, f64),
    ys: Y,
    (y_floor, y_ceil): (f64, f64),
) -> DrawResult<DB>
where
    DB: DrawingBackend,
    X: AsRangedCoord<Value = f64>,
    X::CoordDescType: ValueFormatter<f64>,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let log = chart.log_y;
    let y_span = (y_floor, y_ceil);
    let fmt_x = |v: &f64| tick_label(*v, x0, x1, chart.log_x);
    let fmt_y = |v: &f64| tick_label(*v, y_span.0, y_span.1, log);
    // The legend goes right of the plot, never over the data: its entries,
    // and the width they need.
    let many = chart.series.len() > 1;
    let entries: Vec<(usize, String)> = chart
        .series
        .iter()
        .enumerate()
        .filter_map(|(k, s)| match (s.label.is_empty(), many) {
            (false, _) => Some((k, s.label.clone())),
            (true, true) => Some((k, format!("series {}", k + 1))),
            (true, false) => None,
        })
        .collect();
    let legend_style =
        TextStyle::from((FONT, 14).into_font()).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Left,
            plotters::style::text_anchor::VPos::Center,
        ));
    let legend_w = entries
        .iter()
        .map(|(_, l)| l)
        .chain(chart.spans.iter().map(|s| &s.label))
        .map(|l| {
            area.estimate_text_size(l, &legend_style)
                .map_or(0, |(w, _)| w)
        })
        .max()
        .map_or(0, |w| w as i32 + 44);
    let mut ctx = ChartBuilder::on(area)
        .caption(&chart.title, (FONT, 22))
        .margin(12)
        .margin_right(12 + legend_w)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(xr, ys)?;
    ctx.configure_mesh()
        .x_desc(&chart.x_label)
        .y_desc(&chart.y_label)
        .x_label_formatter(&fmt_x)
        .y_label_formatter(&fmt_y)
        .label_style((FONT, 13))
        .axis_desc_style((FONT, 15))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(210, 210, 210))
        .draw()?;

    for &h in chart
        .hlines
        .iter()
        .filter(|&&h| h.is_finite() && (!log || h > 0.0))
    {
        ctx.draw_series(DashedLineSeries::new(
            vec![(x0, h), (x1, h)],
            8,
            5,
            REF_GREY.stroke_width(1),
        ))?;
    }

    for span in &chart.spans {
        let (lo, hi) = (span.lo.max(x0), span.hi.min(x1));
        if lo < hi {
            ctx.draw_series([Rectangle::new(
                [(lo, y_floor), (hi, y_ceil)],
                SPAN_GREY.mix(0.35).filled(),
            )])?;
        }
    }
    // Bands first, under every line.
    for (k, s) in chart.series.iter().enumerate() {
        let color = PALETTE[s.colour.unwrap_or(k) % PALETTE.len()];
        // one polygon per contiguous run of points with a band
        let mut run: Vec<(f64, f64, f64)> = Vec::new();
        for i in 0..=s.y.len() {
            let b = (i < s.y.len())
                .then(|| band_span(s, i))
                .flatten()
                .filter(|_| s.x[i].is_finite() && (!chart.log_x || s.x[i] > 0.0));
            if let Some((lo, hi)) = b {
                let lo = if log { lo.max(y_floor) } else { lo };
                if !log || hi > 0.0 {
                    run.push((s.x[i], lo, hi));
                    continue;
                }
            }
            if run.len() > 1 {
                let mut poly: Vec<(f64, f64)> = run.iter().map(|p| (p.0, p.2)).collect();
                poly.extend(run.iter().rev().map(|p| (p.0, p.1)));
                ctx.draw_series([Polygon::new(poly, color.mix(0.2).filled())])?;
            }
            run.clear();
        }
    }

    for (k, s) in chart.series.iter().enumerate() {
        let color = PALETTE[s.colour.unwrap_or(k) % PALETTE.len()];
        let line = color.stroke_width(2);
        let fill = color.filled();
        let ok = |i: usize| plottable(chart, s.x[i], s.y[i]);

        // Error whiskers with small caps.
        for i in (0..s.y.len()).filter(|&i| ok(i)) {
            if let Some((lo, hi)) = err_span(s, i) {
                let lo = if log { lo.max(y_floor) } else { lo };
                let cap = |y: f64| {
                    EmptyElement::at((s.x[i], y)) + PathElement::new(vec![(-4, 0), (4, 0)], color)
                };
                ctx.draw_series([PathElement::new(vec![(s.x[i], lo), (s.x[i], hi)], color)])?;
                ctx.draw_series([cap(lo), cap(hi)])?;
            }
        }
        let with_line = matches!(s.style, SeriesStyle::Line | SeriesStyle::LineMarkers);
        let with_marks = matches!(s.style, SeriesStyle::Markers | SeriesStyle::LineMarkers);
        if s.style == SeriesStyle::Dots {
            let pts = (0..s.y.len())
                .filter(|&i| ok(i))
                .map(|i| Circle::new((s.x[i], s.y[i]), 1, fill));
            ctx.draw_series(pts)?;
        }
        if with_line {
            // Contiguous runs of plottable points, so gaps stay gaps.
            let mut run: Vec<(f64, f64)> = Vec::new();
            for i in 0..=s.y.len() {
                if i < s.y.len() && ok(i) {
                    run.push((s.x[i], s.y[i]));
                } else if !run.is_empty() {
                    ctx.draw_series(LineSeries::new(std::mem::take(&mut run), line))?;
                }
            }
        }
        if with_marks {
            let pts = (0..s.y.len())
                .filter(|&i| ok(i))
                .map(|i| Circle::new((s.x[i], s.y[i]), 3, fill));
            ctx.draw_series(pts)?;
        }
    }
    // The legend, right of the plot area: a sample of each series' style.
    if !entries.is_empty() || !chart.spans.is_empty() {
        // the plotting area's corner in `area`'s own coordinates (panels
        // are sub-areas of the image)
        let (px, py) = ctx.plotting_area().get_base_pixel();
        let (ax, ay) = area.get_base_pixel();
        let (x0, y0) = (px - ax, py - ay);
        let (pw, _) = ctx.plotting_area().dim_in_pixel();
        let lx = x0 + pw as i32 + 16;
        let style = &legend_style;
        for (row, (k, label)) in entries.iter().enumerate() {
            let s = &chart.series[*k];
            let color = PALETTE[s.colour.unwrap_or(*k) % PALETTE.len()];
            let y = y0 + 10 + row as i32 * 20;
            if matches!(s.style, SeriesStyle::Line | SeriesStyle::LineMarkers) {
                area.draw(&PathElement::new(
                    vec![(lx, y), (lx + 20, y)],
                    color.stroke_width(2),
                ))?;
            }
            if s.style != SeriesStyle::Line {
                area.draw(&Circle::new((lx + 10, y), 3, color.filled()))?;
            }
            area.draw_text(label, style, (lx + 26, y))?;
        }
        for (row, span) in chart.spans.iter().enumerate() {
            let y = y0 + 10 + (entries.len() + row) as i32 * 20;
            area.draw(&Rectangle::new(
                [(lx, y - 6), (lx + 20, y + 6)],
                SPAN_GREY.mix(0.35).filled(),
            ))?;
            area.draw_text(&span.label, style, (lx + 26, y))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
