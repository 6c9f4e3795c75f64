//! Reading and writing structural connectomes: The Virtual Brain's
//! connectivity zip, and plain CSV/TSV matrices.
//!
//! # The TVB connectivity zip
//!
//! A zip holding whitespace-separated text files, either at its top level or
//! inside one sub-folder (as TVB's own `connectivity_76.zip` and friends):
//!
//! | member              | content                                              |
//! |---------------------|------------------------------------------------------|
//! | `weights.txt`       | `N` lines of `N` numbers: `W[i][j]`, from `j` to `i`  |
//! | `tract_lengths.txt` | `N` lines of `N` numbers: tract lengths in mm         |
//! | `centres.txt`       | `N` lines `label x y z` (mm)                          |
//!
//! Other members (`areas.txt`, `cortical.txt`, …) are ignored. Rows are
//! targets and columns sources, the convention of TVB and of
//! [`neurodyn_core::connectome`], so matrices are used as read. Blank lines
//! and lines starting with `#` are skipped. As a neurodyn extension,
//! `centres.txt` may hold labels only (one per line), for a connectome
//! without centres: that is what [`write_tvb_zip`] writes then (TVB itself
//! wants coordinates).
//!
//! Numbers are written in Rust's shortest round-trip form (`{:?}`: `0.1`,
//! `1e-7`, `0.0`), which numpy and TVB read, so an export read back gives
//! bit-identical matrices and centres.
//!
//! # CSV and TSV matrices
//!
//! [`read_matrix_csv`] reads a square matrix; the delimiter follows the
//! extension (`.csv` comma, `.tsv`/`.tab` tab, `.txt` whitespace). An
//! optional first row of labels is recognised by holding a field that is
//! not a number; if its first cell is empty (pandas' `to_csv()` with the
//! index), every row starts with its label, which must match the column
//! label. Fields are trimmed and may be wrapped in double quotes (without
//! embedded delimiters or quotes). [`write_matrix_csv`] writes the plain
//! form: an optional label row, then the rows.
//!
//! # Errors
//!
//! Every error is an [`Error::Io`] naming the file; its message names the
//! zip member and the line (and column) and says what is wrong and what is
//! allowed, e.g. `conn.zip: tract_lengths.txt, line 2, column 3: negative
//! tract length -3 (must be ≥ 0)`.
//!
//! ```
//! use neurodyn_io::connectome::{read_tvb_zip, write_tvb_zip};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("example.zip");
//! let c = neurodyn_core::connectome::example(8, 1);
//! write_tvb_zip(&path, &c).unwrap();
//! assert_eq!(read_tvb_zip(&path).unwrap(), c);
//! ```

use std::collections::HashMap;
use std::io;
use std::path::Path;

use neurodyn_core::{Connectome, Error, Result};

use crate::atomic::write_atomic;
use crate::zip;

const WEIGHTS: &str = "weights.txt";
const TRACT_LENGTHS: &str = "tract_lengths.txt";
const CENTRES: &str = "centres.txt";

/// A failure in the content of `path`, as [`Error::Io`] with
/// [`io::ErrorKind::InvalidData`].
fn bad(path: &Path, msg: impl Into<String>) -> Error {
    Error::io(path, io::Error::new(io::ErrorKind::InvalidData, msg.into()))
}

/// Where a text being parsed comes from: the file, and the member for a zip.
#[derive(Clone, Copy)]
struct Source<'a> {
    path: &'a Path,
    member: Option<&'a str>,
}

impl Source<'_> {
    /// An error at `line` (1-based; 0 for the text as a whole).
    fn err(&self, line: usize, msg: impl std::fmt::Display) -> Error {
        self.err_at(line, 0, msg)
    }

    /// An error at `line` and `column` (1-based; 0 for none).
    fn err_at(&self, line: usize, column: usize, msg: impl std::fmt::Display) -> Error {
        let mut at: Vec<String> = Vec::new();
        if let Some(m) = self.member {
            at.push(m.to_string());
        }
        if line > 0 {
            at.push(format!("line {line}"));
        }
        if column > 0 {
            at.push(format!("column {column}"));
        }
        let at = at.join(", ");
        if at.is_empty() {
            bad(self.path, msg.to_string())
        } else {
            bad(self.path, format!("{at}: {msg}"))
        }
    }
}

/// How the fields of a line are separated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sep {
    Whitespace,
    Char(char),
}

fn fields(line: &str, sep: Sep) -> Vec<&str> {
    match sep {
        Sep::Whitespace => line.split_whitespace().collect(),
        Sep::Char(c) => line.split(c).map(unquote).collect(),
    }
}

/// Trim a field and strip one pair of surrounding double quotes.
fn unquote(field: &str) -> &str {
    let f = field.trim();
    if f.len() >= 2 && f.starts_with('"') && f.ends_with('"') {
        &f[1..f.len() - 1]
    } else {
        f
    }
}

/// The data lines of a text: `(1-based line number, line)`, without blank
/// lines, `#` comments, a byte-order mark or carriage returns.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
}

/// What the numbers of a matrix are, for messages, and whether they must be `≥ 0`.
#[derive(Clone, Copy)]
struct Rule {
    what: &'static str,
    non_negative: bool,
}

const WEIGHT: Rule = Rule {
    what: "weight",
    non_negative: true,
};
const TRACT_LENGTH: Rule = Rule {
    what: "tract length",
    non_negative: true,
};
const ANY: Rule = Rule {
    what: "value",
    non_negative: false,
};

/// Parse one number, finite, and `≥ 0` if the rule says so.
fn number(src: Source, line: usize, column: usize, field: &str, rule: Rule) -> Result<f64> {
    let at = |msg: String| src.err_at(line, column, msg);
    let v: f64 = field.parse().map_err(|_| {
        if field.is_empty() {
            at("an empty field, expected a number".to_string())
        } else {
            at(format!("`{field}` is not a number"))
        }
    })?;
    if !v.is_finite() {
        return Err(at(format!(
            "{field} is not allowed: a {} must be a finite number",
            rule.what
        )));
    }
    if rule.non_negative && v < 0.0 {
        return Err(at(format!("negative {} {field} (must be ≥ 0)", rule.what)));
    }
    Ok(v)
}

/// A square matrix read from a text file, with the labels of its header row
/// if it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelledMatrix {
    /// The side `N`.
    pub n: usize,
    /// The values, row-major `N × N`.
    pub values: Vec<f64>,
    /// The labels of the header row, if there is one (`N` of them).
    pub labels: Option<Vec<String>>,
}

/// Parse a square matrix. With `header`, a first line holding a non-number
/// is a row of labels (with an empty first cell: a pandas index column).
fn parse_matrix(
    src: Source,
    text: &str,
    sep: Sep,
    header: bool,
    rule: Rule,
) -> Result<LabelledMatrix> {
    let mut lines = data_lines(text).peekable();
    let mut labels: Option<Vec<String>> = None;
    let mut header_line = 0;
    let mut row_labels = false;
    if header {
        if let Some(&(l, first)) = lines.peek() {
            let f = fields(first, sep);
            if f.iter().any(|x| x.parse::<f64>().is_err()) {
                row_labels = f.first() == Some(&"");
                let skip = usize::from(row_labels);
                labels = Some(f[skip..].iter().map(|s| s.to_string()).collect());
                header_line = l;
                lines.next();
            }
        }
    }
    let mut values = Vec::new();
    // Values per row, and the line that set it.
    let mut width: Option<(usize, usize)> = labels.as_ref().map(|l| (l.len(), header_line));
    let mut rows = 0;
    for (l, line) in lines {
        let mut f = fields(line, sep);
        if row_labels {
            let label = f.remove(0);
            let expected = labels.as_ref().and_then(|ls| ls.get(rows));
            if let Some(e) = expected {
                if label != e {
                    return Err(src.err(
                        l,
                        format!(
                            "row label `{label}` differs from column label {} `{e}` (line {header_line})",
                            rows + 1
                        ),
                    ));
                }
            }
        }
        match width {
            None => width = Some((f.len(), l)),
            Some((w, wl)) if f.len() != w => {
                let what = if wl == header_line && labels.is_some() {
                    format!("the header (line {wl}) has {w} labels")
                } else {
                    format!("line {wl} has {w}")
                };
                return Err(src.err(l, format!("{} values, but {what} (ragged rows)", f.len())));
            }
            Some(_) => {}
        }
        let w = width.map_or(0, |(w, _)| w);
        if rows == w {
            return Err(src.err(
                l,
                format!(
                    "row {} of a matrix with {w} columns: not square (more rows than columns)",
                    rows + 1
                ),
            ));
        }
        for (c, x) in f.iter().enumerate() {
            values.push(number(src, l, c + 1 + usize::from(row_labels), x, rule)?);
        }
        rows += 1;
    }
    let n = width.map_or(0, |(w, _)| w);
    if rows == 0 {
        return Err(src.err(0, "no rows: expected a square matrix, one row per line"));
    }
    if rows != n {
        return Err(src.err(
            0,
            format!("{rows} rows of {n} values: not a square matrix (expected {n} rows)"),
        ));
    }
    Ok(LabelledMatrix { n, values, labels })
}

/// Region labels, and their centres if every line has coordinates.
type Centres = (Vec<String>, Option<Vec<[f64; 3]>>);

/// Parse `centres.txt`: lines `label x y z`, or (neurodyn) `label` alone.
fn parse_centres(src: Source, text: &str) -> Result<Centres> {
    let mut labels: Vec<String> = Vec::new();
    let mut centres: Vec<[f64; 3]> = Vec::new();
    let mut with_xyz: Option<(bool, usize)> = None;
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (l, line) in data_lines(text) {
        let f = fields(line, Sep::Whitespace);
        if f.len() != 4 && f.len() != 1 {
            return Err(src.err(
                l,
                format!("{} fields, expected `label x y z` (mm)", f.len()),
            ));
        }
        let has = f.len() == 4;
        match with_xyz {
            None => with_xyz = Some((has, l)),
            Some((h, first)) if h != has => {
                return Err(src.err(
                    l,
                    format!(
                        "{} fields, but line {first} has {}: every line is `label x y z` or every line a label alone",
                        f.len(),
                        if h { 4 } else { 1 }
                    ),
                ));
            }
            Some(_) => {}
        }
        if let Some(first) = seen.insert(f[0].to_string(), l) {
            return Err(src.err(
                l,
                format!(
                    "label `{}` is already on line {first} (labels must be unique)",
                    f[0]
                ),
            ));
        }
        labels.push(f[0].to_string());
        if has {
            let coordinate = Rule {
                what: "coordinate",
                non_negative: false,
            };
            let mut p = [0.0; 3];
            for k in 0..3 {
                p[k] = number(src, l, k + 2, f[k + 1], coordinate)?;
            }
            centres.push(p);
        }
    }
    if labels.is_empty() {
        return Err(src.err(0, "no regions: expected lines `label x y z` (mm)"));
    }
    let has = with_xyz.is_some_and(|(h, _)| h);
    Ok((labels, has.then_some(centres)))
}

/// Read a connectome from a TVB connectivity zip: `weights.txt`,
/// `tract_lengths.txt` (mm) and `centres.txt` (`label x y z`, mm), at the
/// top level of the zip or inside one sub-folder.
///
/// Errors name the file, the member, the line and what is wrong: a missing
/// member, a non-number, NaN or infinity, a negative weight or tract length,
/// ragged rows, a non-square matrix, sizes that differ between the members,
/// duplicate labels; and a corrupt or unsupported zip (see the format notes
/// of the private `zip` module: stored and deflate members, no encryption,
/// no ZIP64).
pub fn read_tvb_zip(path: &Path) -> Result<Connectome> {
    check_size(path, 3 * MAX_TEXT_BYTES, "a connectivity zip")?;
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_tvb_zip(&bytes, path)
}

/// The largest text a matrix may be read from: a file, or a zip member's
/// declared uncompressed size. 256 MiB holds a dense matrix of about 5 000
/// regions; reading it takes about twice that in memory. Anything larger
/// is refused before it is read (a 20 GB file, a zip bomb).
pub const MAX_TEXT_BYTES: u64 = 256 << 20;

/// Refuse `path` if it is larger than `max` bytes, before reading it.
fn check_size(path: &Path, max: u64, what: &str) -> Result<()> {
    let len = std::fs::metadata(path)
        .map_err(|e| Error::io(path, e))?
        .len();
    if len > max {
        return Err(bad(
            path,
            format!(
                "{} bytes ({:.1} GiB): larger than the {} MiB {what} may hold (a dense matrix of about 5 000 regions); nothing was read",
                len,
                len as f64 / (1u64 << 30) as f64,
                max >> 20
            ),
        ));
    }
    Ok(())
}

/// [`read_tvb_zip`] on the bytes of a zip already in memory (bundled data);
/// errors name `path`.
pub fn parse_tvb_zip(bytes: &[u8], path: &Path) -> Result<Connectome> {
    let archive = zip::Archive::parse(bytes).map_err(|m| bad(path, m))?;
    let folder = tvb_folder(&archive).map_err(|m| bad(path, m))?;
    let text = |name: &str| -> Result<(String, String)> {
        let member = format!("{folder}{name}");
        let entry = archive.find(&member).ok_or_else(|| {
            bad(
                path,
                format!("missing member `{member}` (a TVB connectivity zip holds {WEIGHTS}, {TRACT_LENGTHS} and {CENTRES})"),
            )
        })?;
        // the size the zip declares bounds what is inflated (and the data
        // must match it), so a zip bomb is refused here, before inflating
        if entry.size as u64 > MAX_TEXT_BYTES {
            return Err(bad(
                path,
                format!(
                    "{member}: declares {} bytes uncompressed ({:.1} GiB from {} compressed): larger than the {} MiB a member may hold (a dense matrix of about 5 000 regions); nothing was inflated",
                    entry.size,
                    entry.size as f64 / (1u64 << 30) as f64,
                    entry.compressed_size,
                    MAX_TEXT_BYTES >> 20
                ),
            ));
        }
        let data = archive
            .read(entry)
            .map_err(|m| bad(path, format!("{member}: {m}")))?;
        let text = utf8(data).map_err(|(line, m)| {
            Source {
                path,
                member: Some(&member),
            }
            .err(line, m)
        })?;
        Ok((member, text))
    };

    let (wm, wt) = text(WEIGHTS)?;
    let ws = Source {
        path,
        member: Some(&wm),
    };
    let w = parse_matrix(ws, &wt, Sep::Whitespace, false, WEIGHT)?;
    let (tm, tt) = text(TRACT_LENGTHS)?;
    let ts = Source {
        path,
        member: Some(&tm),
    };
    let t = parse_matrix(ts, &tt, Sep::Whitespace, false, TRACT_LENGTH)?;
    if t.n != w.n {
        return Err(ts.err(
            0,
            format!(
                "{n}×{n}, but {wm} is {m}×{m} (mismatched sizes)",
                n = t.n,
                m = w.n
            ),
        ));
    }
    let (cm, ct) = text(CENTRES)?;
    let cs = Source {
        path,
        member: Some(&cm),
    };
    let (labels, centres) = parse_centres(cs, &ct)?;
    if labels.len() != w.n {
        return Err(cs.err(
            0,
            format!(
                "{} regions, but {wm} is {n}×{n} (mismatched sizes)",
                labels.len(),
                n = w.n
            ),
        ));
    }
    Connectome::new(labels, w.values, t.values, centres).map_err(|e| bad(path, e.to_string()))
}

/// The folder of the TVB members inside the zip: `""` for the top level,
/// else `"name/"` for the single sub-folder holding `weights.txt`.
fn tvb_folder(archive: &zip::Archive) -> std::result::Result<String, String> {
    if archive.find(WEIGHTS).is_some() {
        return Ok(String::new());
    }
    let mut folders: Vec<&str> = archive
        .names()
        .filter_map(|name| name.strip_suffix(WEIGHTS))
        .filter(|f| {
            f.ends_with('/') && !f[..f.len() - 1].contains('/') && f.len() > 1 && *f != "__MACOSX/"
        })
        .collect();
    folders.sort_unstable();
    match folders.as_slice() {
        [one] => Ok(one.to_string()),
        [] => {
            let mut names: Vec<&str> = archive.names().take(11).collect();
            if names.len() == 11 {
                names[10] = "…";
            }
            Err(format!(
                "missing member `{WEIGHTS}`: not at the top level nor in one sub-folder (the zip holds: {})",
                if names.is_empty() {
                    "nothing".to_string()
                } else {
                    names.join(", ")
                }
            ))
        }
        many => Err(format!(
            "`{WEIGHTS}` is in several folders ({}): expected one connectome per zip",
            many.join(", ")
        )),
    }
}

/// Text of a member, or the line of its first invalid byte.
fn utf8(data: Vec<u8>) -> std::result::Result<String, (usize, String)> {
    String::from_utf8(data).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count();
        (line, "not UTF-8 text".to_string())
    })
}

/// Write `c` as a TVB connectivity zip (members at the top level,
/// deflated), atomically. Labels must be non-empty and free of whitespace
/// (a `centres.txt` line is `label x y z`); without centres, `centres.txt`
/// holds the labels alone (readable by [`read_tvb_zip`], not by TVB).
pub fn write_tvb_zip(path: &Path, c: &Connectome) -> Result<()> {
    for (i, l) in c.labels().iter().enumerate() {
        if l.is_empty() || l.chars().any(char::is_whitespace) || l.starts_with('#') {
            return Err(Error::io(
                path,
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "label {l:?} of region {i}: {CENTRES} needs labels without whitespace, not empty and not starting with `#`"
                    ),
                ),
            ));
        }
    }
    let n = c.n();
    let weights = matrix_text(n, c.weights(), " ");
    let tracts = matrix_text(n, c.distances_mm(), " ");
    let mut centres = String::new();
    for (i, l) in c.labels().iter().enumerate() {
        centres.push_str(l);
        if let Some(p) = c.centres_mm() {
            let [x, y, z] = p[i];
            centres.push_str(&format!(" {x:?} {y:?} {z:?}"));
        }
        centres.push('\n');
    }
    let bytes = zip::write(&[
        (WEIGHTS, weights.as_bytes()),
        (TRACT_LENGTHS, tracts.as_bytes()),
        (CENTRES, centres.as_bytes()),
    ])
    .map_err(|m| Error::io(path, io::Error::new(io::ErrorKind::InvalidInput, m)))?;
    write_atomic(path, &bytes)
}

/// Rows of `{:?}` numbers joined by `sep`, one line each.
fn matrix_text(n: usize, values: &[f64], sep: &str) -> String {
    let mut s = String::with_capacity(values.len() * 8);
    for row in values.chunks(n.max(1)) {
        for (j, v) in row.iter().enumerate() {
            if j > 0 {
                s.push_str(sep);
            }
            s.push_str(&format!("{v:?}"));
        }
        s.push('\n');
    }
    s
}

/// The separator for a matrix file, from its extension.
fn separator(path: &Path) -> Result<Sep> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    match ext.as_deref() {
        Some("csv") => Ok(Sep::Char(',')),
        Some("tsv") | Some("tab") => Ok(Sep::Char('\t')),
        Some("txt") => Ok(Sep::Whitespace),
        other => Err(Error::io(
            path,
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "extension {}: a matrix file ends in .csv (comma), .tsv or .tab (tab) or .txt (whitespace)",
                    other.map_or("none".to_string(), |e| format!(".{e}"))
                ),
            ),
        )),
    }
}

/// Read a square matrix from a CSV (`.csv`), TSV (`.tsv`, `.tab`) or
/// whitespace-separated (`.txt`) file: `(N, values row-major)`. A header
/// row of labels is allowed and dropped (see [`read_matrix_csv_labelled`]).
/// Values must be finite numbers (of any sign); errors name the file, the
/// line and the column.
pub fn read_matrix_csv(path: &Path) -> Result<(usize, Vec<f64>)> {
    let m = read_matrix_csv_labelled(path)?;
    Ok((m.n, m.values))
}

/// [`read_matrix_csv`], keeping the labels of the header row.
pub fn read_matrix_csv_labelled(path: &Path) -> Result<LabelledMatrix> {
    check_size(path, MAX_TEXT_BYTES, "a matrix file")?;
    let data = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    parse_matrix_csv_labelled(data, path)
}

/// [`read_matrix_csv_labelled`] on file contents already in memory (bundled
/// data); the separator comes from `path`'s extension and errors name it.
pub fn parse_matrix_csv_labelled(data: Vec<u8>, path: &Path) -> Result<LabelledMatrix> {
    let sep = separator(path)?;
    let src = Source { path, member: None };
    let text = utf8(data).map_err(|(line, m)| src.err(line, m))?;
    parse_matrix(src, &text, sep, true, ANY)
}

/// Write a square matrix (`n × n`, row-major) as CSV/TSV/whitespace text
/// (separator from the extension, as [`read_matrix_csv`]), with a first row
/// of `labels` if given, atomically. Numbers are written in their shortest
/// round-trip form, so reading gives the same bits. Labels must not contain
/// the separator, quotes or line breaks, and not all be numbers (the row
/// would read as data).
pub fn write_matrix_csv(
    path: &Path,
    n: usize,
    values: &[f64],
    labels: Option<&[String]>,
) -> Result<()> {
    let invalid = |msg: String| Error::io(path, io::Error::new(io::ErrorKind::InvalidInput, msg));
    if values.len() != n * n {
        return Err(invalid(format!(
            "{} values for a {n}×{n} matrix (expected {})",
            values.len(),
            n * n
        )));
    }
    let sep = separator(path)?;
    let sep_str = match sep {
        Sep::Whitespace => " ".to_string(),
        Sep::Char(c) => c.to_string(),
    };
    let mut text = String::new();
    if let Some(ls) = labels {
        if ls.len() != n {
            return Err(invalid(format!("{} labels for a {n}×{n} matrix", ls.len())));
        }
        for (i, l) in ls.iter().enumerate() {
            let clash = match sep {
                Sep::Whitespace => l.is_empty() || l.chars().any(char::is_whitespace),
                Sep::Char(c) => l.contains(c) || l.trim() != l,
            };
            if clash || l.contains(['"', '\n', '\r']) || l.starts_with('#') {
                return Err(invalid(format!(
                    "label {l:?} of column {}: labels must not contain the separator, quotes or line breaks, start with `#` or have surrounding spaces",
                    i + 1
                )));
            }
        }
        if ls.iter().all(|l| l.parse::<f64>().is_ok()) {
            return Err(invalid(
                "labels that are all numbers would read back as a row of data".to_string(),
            ));
        }
        text.push_str(&ls.join(&sep_str));
        text.push('\n');
    }
    text.push_str(&matrix_text(n, values, &sep_str));
    write_atomic(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;
    use std::process::{Command, Stdio};

    use super::*;

    /// A zip written once by Python 3.11's `zipfile` (script below): the
    /// members in the sub-folder `tiny/`, three deflated and `areas.txt`
    /// stored.
    ///
    /// ```python
    /// files = {
    ///  "tiny/weights.txt": "0 0.5 1.25e-3\n0.5 0 2\n1.25e-3 2 0\n",
    ///  "tiny/tract_lengths.txt": "0\t12.5\t80\n12.5\t0\t70.25\n80\t70.25\t0\n",
    ///  "tiny/centres.txt": "lA1\t-30.5\t10\t2\nlV1\t-20\t-80.25\t5\nrA1\t31\t10.5\t1\n",
    /// }
    /// with zipfile.ZipFile(buf, "w") as z:
    ///     for name, text in files.items():
    ///         zi = zipfile.ZipInfo(name, date_time=(2020, 1, 2, 3, 4, 6))
    ///         zi.compress_type = zipfile.ZIP_DEFLATED
    ///         z.writestr(zi, text)
    ///     zi = zipfile.ZipInfo("tiny/areas.txt", date_time=(2020, 1, 2, 3, 4, 6))
    ///     zi.compress_type = zipfile.ZIP_STORED
    ///     z.writestr(zi, "1.0\n2.0\n3.0\n")
    /// ```
    const PYTHON_ZIP: &[u8] = &[
        0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x83, 0x18, 0x22, 0x50, 0x0d,
        0x91, 0x9b, 0x27, 0x1c, 0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
        0x74, 0x69, 0x6e, 0x79, 0x2f, 0x77, 0x65, 0x69, 0x67, 0x68, 0x74, 0x73, 0x2e, 0x74, 0x78,
        0x74, 0x33, 0x50, 0x30, 0xd0, 0x33, 0x55, 0x30, 0xd4, 0x33, 0x32, 0x4d, 0xd5, 0x35, 0xe6,
        0x02, 0xb1, 0x0d, 0x14, 0x8c, 0xb8, 0xa0, 0x7c, 0x05, 0x23, 0x05, 0x03, 0x2e, 0x00, 0x50,
        0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x83, 0x18, 0x22, 0x50, 0x5f, 0x1c,
        0x45, 0x48, 0x1b, 0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x74,
        0x69, 0x6e, 0x79, 0x2f, 0x74, 0x72, 0x61, 0x63, 0x74, 0x5f, 0x6c, 0x65, 0x6e, 0x67, 0x74,
        0x68, 0x73, 0x2e, 0x74, 0x78, 0x74, 0x33, 0xe0, 0x34, 0x34, 0xd2, 0x33, 0xe5, 0xb4, 0x30,
        0xe0, 0x02, 0xd3, 0x06, 0x9c, 0xe6, 0x06, 0x7a, 0x46, 0xa6, 0x5c, 0x16, 0x50, 0x06, 0xa7,
        0x01, 0x17, 0x00, 0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x83, 0x18,
        0x22, 0x50, 0x7f, 0x31, 0x17, 0x4c, 0x2a, 0x00, 0x00, 0x00, 0x2e, 0x00, 0x00, 0x00, 0x10,
        0x00, 0x00, 0x00, 0x74, 0x69, 0x6e, 0x79, 0x2f, 0x63, 0x65, 0x6e, 0x74, 0x72, 0x65, 0x73,
        0x2e, 0x74, 0x78, 0x74, 0xcb, 0x71, 0x34, 0xe4, 0xd4, 0x35, 0x36, 0xd0, 0x33, 0xe5, 0x34,
        0x34, 0xe0, 0x34, 0xe2, 0xca, 0x09, 0x03, 0x72, 0x8d, 0x0c, 0x38, 0x75, 0x2d, 0x0c, 0xf4,
        0x8c, 0x4c, 0x39, 0x4d, 0xb9, 0x8a, 0x80, 0xf2, 0xc6, 0x86, 0x40, 0x49, 0x90, 0x0a, 0x2e,
        0x00, 0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x83, 0x18, 0x22, 0x50,
        0xf6, 0xfa, 0x10, 0x24, 0x0c, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00,
        0x00, 0x74, 0x69, 0x6e, 0x79, 0x2f, 0x61, 0x72, 0x65, 0x61, 0x73, 0x2e, 0x74, 0x78, 0x74,
        0x31, 0x2e, 0x30, 0x0a, 0x32, 0x2e, 0x30, 0x0a, 0x33, 0x2e, 0x30, 0x0a, 0x50, 0x4b, 0x01,
        0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x83, 0x18, 0x22, 0x50, 0x0d, 0x91,
        0x9b, 0x27, 0x1c, 0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x74, 0x69,
        0x6e, 0x79, 0x2f, 0x77, 0x65, 0x69, 0x67, 0x68, 0x74, 0x73, 0x2e, 0x74, 0x78, 0x74, 0x50,
        0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x08, 0x00, 0x83, 0x18, 0x22, 0x50,
        0x5f, 0x1c, 0x45, 0x48, 0x1b, 0x00, 0x00, 0x00, 0x22, 0x00, 0x00, 0x00, 0x16, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0x4a, 0x00, 0x00, 0x00,
        0x74, 0x69, 0x6e, 0x79, 0x2f, 0x74, 0x72, 0x61, 0x63, 0x74, 0x5f, 0x6c, 0x65, 0x6e, 0x67,
        0x74, 0x68, 0x73, 0x2e, 0x74, 0x78, 0x74, 0x50, 0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00,
        0x00, 0x00, 0x08, 0x00, 0x83, 0x18, 0x22, 0x50, 0x7f, 0x31, 0x17, 0x4c, 0x2a, 0x00, 0x00,
        0x00, 0x2e, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x80, 0x01, 0x99, 0x00, 0x00, 0x00, 0x74, 0x69, 0x6e, 0x79, 0x2f, 0x63, 0x65,
        0x6e, 0x74, 0x72, 0x65, 0x73, 0x2e, 0x74, 0x78, 0x74, 0x50, 0x4b, 0x01, 0x02, 0x14, 0x03,
        0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x83, 0x18, 0x22, 0x50, 0xf6, 0xfa, 0x10, 0x24, 0x0c,
        0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0xf1, 0x00, 0x00, 0x00, 0x74, 0x69, 0x6e, 0x79, 0x2f,
        0x61, 0x72, 0x65, 0x61, 0x73, 0x2e, 0x74, 0x78, 0x74, 0x50, 0x4b, 0x05, 0x06, 0x00, 0x00,
        0x00, 0x00, 0x04, 0x00, 0x04, 0x00, 0xfc, 0x00, 0x00, 0x00, 0x29, 0x01, 0x00, 0x00, 0x00,
        0x00,
    ];

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    /// A zip with the given members, written by our own writer.
    fn zip_of(dir: &Path, name: &str, members: &[(&str, &str)]) -> PathBuf {
        let path = dir.join(name);
        let m: Vec<(&str, &[u8])> = members.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
        std::fs::write(&path, zip::write(&m).unwrap()).unwrap();
        path
    }

    fn message(r: Result<impl std::fmt::Debug>) -> String {
        match r {
            Err(e @ Error::Io { .. }) => e.to_string(),
            other => panic!("expected an Io error, got {other:?}"),
        }
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    fn assert_bit_identical(a: &Connectome, b: &Connectome) {
        assert_eq!(a.labels(), b.labels());
        assert_eq!(bits(a.weights()), bits(b.weights()));
        assert_eq!(bits(a.distances_mm()), bits(b.distances_mm()));
        let centre_bits = |c: &Connectome| {
            c.centres_mm()
                .map(|p| bits(&p.iter().flatten().copied().collect::<Vec<_>>()))
        };
        assert_eq!(centre_bits(a), centre_bits(b));
    }

    /// Awkward numbers: thirds, subnormals, extremes, negative zero.
    fn awkward() -> Connectome {
        let w = vec![
            0.0,
            1.0 / 3.0,
            0.1 + 0.2,
            5e-324,
            -0.0,
            1.7976931348623157e308,
            2.0f64.sqrt(),
            1e-300,
            123456789.125,
        ];
        let d = vec![
            0.0,
            12.345678901234567,
            1e22,
            0.5,
            0.0,
            7.0 / 9.0,
            2.2250738585072014e-308,
            99.99999999999999,
            0.0,
        ];
        let c = vec![
            [-1.0 / 3.0, 0.0, 1e-5],
            [-0.0, 72.5, -45.123456789],
            [1e300, -1e-300, 3.0],
        ];
        Connectome::new(
            vec!["ctx-lh-A".into(), "Thal_L".into(), "R.3".into()],
            w,
            d,
            Some(c),
        )
        .unwrap()
    }

    #[test]
    fn a_tvb_zip_round_trips_bit_identically() {
        let dir = tmp();
        for (k, c) in [awkward(), neurodyn_core::connectome::example(30, 9)]
            .into_iter()
            .enumerate()
        {
            let path = dir.path().join(format!("c{k}.zip"));
            write_tvb_zip(&path, &c).unwrap();
            let back = read_tvb_zip(&path).unwrap();
            assert_bit_identical(&c, &back);
        }
        // No temporary file is left behind.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn a_connectome_without_centres_round_trips_through_labels_alone() {
        let dir = tmp();
        let a = awkward();
        let (l, w, d) = (a.labels(), a.weights(), a.distances_mm());
        let c = Connectome::new(l.to_vec(), w.to_vec(), d.to_vec(), None).unwrap();
        let path = dir.path().join("c.zip");
        write_tvb_zip(&path, &c).unwrap();
        let back = read_tvb_zip(&path).unwrap();
        assert!(back.centres_mm().is_none());
        assert_bit_identical(&c, &back);
    }

    #[test]
    fn labels_with_whitespace_cannot_be_written_to_a_tvb_zip() {
        let c = Connectome::new(vec!["a b".into()], vec![0.0], vec![0.0], None).unwrap();
        let dir = tmp();
        let path = dir.path().join("c.zip");
        let m = message(write_tvb_zip(&path, &c));
        assert!(
            m.contains("c.zip") && m.contains("\"a b\"") && m.contains("whitespace"),
            "{m}"
        );
        assert!(!path.exists());
    }

    #[test]
    fn a_zip_written_by_pythons_zipfile_is_read_from_its_sub_folder() {
        let dir = tmp();
        let path = dir.path().join("tiny.zip");
        std::fs::write(&path, PYTHON_ZIP).unwrap();
        let c = read_tvb_zip(&path).unwrap();
        assert_eq!(c.labels(), ["lA1", "lV1", "rA1"]);
        assert_eq!(
            c.weights(),
            [0.0, 0.5, 1.25e-3, 0.5, 0.0, 2.0, 1.25e-3, 2.0, 0.0]
        );
        assert_eq!(
            c.distances_mm(),
            [0.0, 12.5, 80.0, 12.5, 0.0, 70.25, 80.0, 70.25, 0.0]
        );
        assert_eq!(
            c.centres_mm().unwrap(),
            [[-30.5, 10.0, 2.0], [-20.0, -80.25, 5.0], [31.0, 10.5, 1.0]]
        );
        // The stored member is read too, CRC checked.
        let archive = zip::Archive::parse(PYTHON_ZIP).unwrap();
        let areas = archive
            .read(archive.find("tiny/areas.txt").unwrap())
            .unwrap();
        assert_eq!(areas, b"1.0\n2.0\n3.0\n");
    }

    fn python3() -> bool {
        let ok = Command::new("python3")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: python3 is not available for the zipfile interoperability checks");
        }
        ok
    }

    #[test]
    fn python_reads_our_zip_and_we_read_a_zip_python_streamed() {
        if !python3() {
            return;
        }
        let dir = tmp();
        let ours = dir.path().join("ours.zip");
        let c = neurodyn_core::connectome::example(6, 2);
        write_tvb_zip(&ours, &c).unwrap();
        // Python checks every CRC and parses the matrices with float().
        let check = r#"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
assert z.testzip() is None
w = [[float(x) for x in l.split()] for l in z.read("weights.txt").decode().splitlines()]
t = [[float(x) for x in l.split()] for l in z.read("tract_lengths.txt").decode().splitlines()]
c = [l.split() for l in z.read("centres.txt").decode().splitlines()]
print(len(w), len(t), " ".join(r[0] for r in c))
print(" ".join(repr(x) for r in w for x in r))
print(" ".join(repr(x) for r in t for x in r))
print(" ".join(repr(float(x)) for r in c for x in r[1:]))
"#;
        let out = Command::new("python3")
            .arg("-c")
            .arg(check)
            .arg(&ours)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Python's repr is its shortest round-trip form too: same bits.
        let text = String::from_utf8(out.stdout).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "6 6 L01 L02 L03 R01 R02 R03");
        let parse = |l: &str| {
            bits(
                &l.split(' ')
                    .map(|x| x.parse().unwrap())
                    .collect::<Vec<f64>>(),
            )
        };
        assert_eq!(parse(lines[1]), bits(c.weights()));
        assert_eq!(parse(lines[2]), bits(c.distances_mm()));
        let centres: Vec<f64> = c.centres_mm().unwrap().iter().flatten().copied().collect();
        assert_eq!(parse(lines[3]), bits(&centres));

        // Written to a pipe, zipfile streams: sizes and CRCs go in data
        // descriptors after the data (flag bit 3).
        let stream = r#"
import sys, zipfile
with zipfile.ZipFile(sys.stdout.buffer, "w", zipfile.ZIP_DEFLATED) as z:
    for name, text in [("weights.txt", "0 2.5\n2.5 0\n"), ("tract_lengths.txt", "0 42\n42 0\n"),
                       ("centres.txt", "A -1 2 3\nB 1 2 3\n")]:
        with z.open(name, "w") as f:
            f.write(text.encode())
"#;
        let out = Command::new("python3")
            .arg("-c")
            .arg(stream)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(
            u16::from_le_bytes([out.stdout[6], out.stdout[7]]) & 8,
            0,
            "data descriptor"
        );
        let theirs = dir.path().join("theirs.zip");
        std::fs::write(&theirs, &out.stdout).unwrap();
        let c = read_tvb_zip(&theirs).unwrap();
        assert_eq!(c.labels(), ["A", "B"]);
        assert_eq!(c.weights(), [0.0, 2.5, 2.5, 0.0]);
        assert_eq!(c.distances_mm(), [0.0, 42.0, 42.0, 0.0]);
        assert_eq!(c.centres_mm().unwrap(), [[-1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]);
    }

    const W3: &str = "0 1 2\n1 0 3\n2 3 0\n";
    const T3: &str = "0 10 20\n10 0 30\n20 30 0\n";
    const C3: &str = "A 0 0 0\nB 1 0 0\nC 0 1 0\n";

    /// The message of reading a zip with `weights`, `tracts` and `centres`
    /// inside the folder `conn/`.
    fn zip_error(weights: &str, tracts: &str, centres: &str) -> String {
        let dir = tmp();
        let path = zip_of(
            dir.path(),
            "bad.zip",
            &[
                ("conn/weights.txt", weights),
                ("conn/tract_lengths.txt", tracts),
                ("conn/centres.txt", centres),
            ],
        );
        message(read_tvb_zip(&path))
    }

    fn contains_all(m: &str, parts: &[&str]) {
        for p in parts {
            assert!(m.contains(p), "`{p}` missing from: {m}");
        }
    }

    #[test]
    fn zip_errors_name_the_file_the_member_and_the_line() {
        let m = zip_error("0 1 2\n1 0 3\n", T3, C3);
        contains_all(
            &m,
            &[
                "bad.zip: conn/weights.txt",
                "2 rows of 3 values",
                "not a square matrix",
            ],
        );
        let m = zip_error("0 1\n1 0\n2 3\n", T3, C3);
        contains_all(&m, &["conn/weights.txt, line 3", "not square"]);
        let m = zip_error(W3, "0 10 20\n10 0\n20 30 0\n", C3);
        contains_all(
            &m,
            &[
                "conn/tract_lengths.txt, line 2",
                "2 values, but line 1 has 3",
                "ragged",
            ],
        );
        let m = zip_error("0 1 2\n\n# comment\n1 x 3\n2 3 0\n", T3, C3);
        contains_all(
            &m,
            &["conn/weights.txt, line 4, column 2", "`x` is not a number"],
        );
        let m = zip_error(W3, "0 10 20\n10 0 30\n20 nan 0\n", C3);
        contains_all(
            &m,
            &[
                "conn/tract_lengths.txt, line 3, column 2",
                "nan is not allowed",
                "finite",
            ],
        );
        let m = zip_error("0 1 inf\n1 0 3\n2 3 0\n", T3, C3);
        contains_all(
            &m,
            &["conn/weights.txt, line 1, column 3", "inf is not allowed"],
        );
        let m = zip_error(W3, "0 10 20\n10 0 -3\n20 30 0\n", C3);
        contains_all(
            &m,
            &[
                "conn/tract_lengths.txt, line 2, column 3",
                "negative tract length -3",
                "≥ 0",
            ],
        );
        let m = zip_error("0 -1 2\n1 0 3\n2 3 0\n", T3, C3);
        contains_all(&m, &["conn/weights.txt, line 1", "negative weight -1"]);
        let m = zip_error(W3, "0 10\n10 0\n", C3);
        contains_all(
            &m,
            &[
                "conn/tract_lengths.txt: 2×2, but conn/weights.txt is 3×3",
                "mismatched sizes",
            ],
        );
        let m = zip_error(W3, T3, "A 0 0 0\nB 1 0 0\n");
        contains_all(
            &m,
            &[
                "conn/centres.txt: 2 regions, but conn/weights.txt is 3×3",
                "mismatched",
            ],
        );
        let m = zip_error(W3, T3, "A 0 0 0\nB 1 0\nC 0 1 0\n");
        contains_all(
            &m,
            &[
                "conn/centres.txt, line 2",
                "3 fields, expected `label x y z`",
            ],
        );
        let m = zip_error(W3, T3, "A 0 0 0\nB 1 0 0\nA 0 1 0\n");
        contains_all(
            &m,
            &["conn/centres.txt, line 3", "`A` is already on line 1"],
        );
        let m = zip_error(W3, T3, "A 0 0 0\nB 1 0 0\nC 0 one 0\n");
        contains_all(
            &m,
            &[
                "conn/centres.txt, line 3, column 3",
                "`one` is not a number",
            ],
        );
        let m = zip_error("", T3, C3);
        contains_all(&m, &["conn/weights.txt: no rows"]);
    }

    #[test]
    fn a_zip_bomb_and_a_huge_file_are_refused_before_they_are_read() {
        let dir = tmp();
        // a zip whose weights.txt declares 1 GiB uncompressed: the central
        // directory entry's size field (offset 24) patched
        let p = zip_of(
            dir.path(),
            "bomb.zip",
            &[
                ("weights.txt", W3),
                ("tract_lengths.txt", W3),
                ("centres.txt", C3),
            ],
        );
        let mut bytes = std::fs::read(&p).unwrap();
        let cd = bytes
            .windows(4)
            .position(|w| w == [0x50, 0x4b, 0x01, 0x02])
            .unwrap();
        bytes[cd + 24..cd + 28].copy_from_slice(&(1u32 << 30).to_le_bytes());
        std::fs::write(&p, &bytes).unwrap();
        let t = std::time::Instant::now();
        let m = message(read_tvb_zip(&p));
        contains_all(
            &m,
            &[
                "bomb.zip",
                "weights.txt: declares 1073741824 bytes uncompressed",
                "nothing was inflated",
            ],
        );
        assert!(t.elapsed().as_secs_f64() < 1.0);
        // a 20 GB sparse file, as a zip and as a matrix: refused by its size
        for name in ["huge.zip", "huge.csv"] {
            let p = dir.path().join(name);
            std::fs::File::create(&p)
                .unwrap()
                .set_len(20 << 30)
                .unwrap();
            let t = std::time::Instant::now();
            let m = if name.ends_with("zip") {
                message(read_tvb_zip(&p))
            } else {
                message(read_matrix_csv(&p))
            };
            contains_all(
                &m,
                &[name, "21474836480 bytes (20.0 GiB)", "nothing was read"],
            );
            assert!(t.elapsed().as_secs_f64() < 1.0);
        }
    }

    #[test]
    fn missing_members_and_bad_zips_are_named() {
        let dir = tmp();
        let p = zip_of(
            dir.path(),
            "a.zip",
            &[("weights.txt", W3), ("centres.txt", C3)],
        );
        let m = message(read_tvb_zip(&p));
        contains_all(&m, &["a.zip", "missing member `tract_lengths.txt`"]);
        let p = zip_of(
            dir.path(),
            "b.zip",
            &[("x/y/weights.txt", W3), ("readme", "")],
        );
        let m = message(read_tvb_zip(&p));
        contains_all(
            &m,
            &[
                "b.zip",
                "missing member `weights.txt`",
                "x/y/weights.txt, readme",
            ],
        );
        let p = zip_of(
            dir.path(),
            "c.zip",
            &[("a/weights.txt", W3), ("b/weights.txt", W3)],
        );
        let m = message(read_tvb_zip(&p));
        contains_all(&m, &["c.zip", "several folders (a/, b/)"]);
        let p = dir.path().join("d.zip");
        std::fs::write(&p, b"weights.txt\n0 1\n1 0\n").unwrap();
        let m = message(read_tvb_zip(&p));
        contains_all(&m, &["d.zip", "not a zip file"]);
        let m = message(read_tvb_zip(&dir.path().join("none.zip")));
        assert!(m.contains("none.zip"), "{m}");
        // Corrupt deflate data: the member is named.
        let p = zip_of(
            dir.path(),
            "e.zip",
            &[
                ("weights.txt", W3),
                ("tract_lengths.txt", T3),
                ("centres.txt", C3),
            ],
        );
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[LOCAL_DATA_AT] ^= 0x55;
        std::fs::write(&p, &bytes).unwrap();
        let m = message(read_tvb_zip(&p));
        contains_all(&m, &["e.zip: weights.txt: corrupt"]);
        let p = dir.path().join("f.zip");
        std::fs::write(
            &p,
            zip::write(&[("weights.txt", b"0 1\n1 \xff\n")]).unwrap(),
        )
        .unwrap();
        let m = message(read_tvb_zip(&p));
        contains_all(&m, &["f.zip: weights.txt, line 2: not UTF-8 text"]);
    }

    /// The first data byte of the first member of a zip from our writer
    /// (30-byte header, then `weights.txt`).
    const LOCAL_DATA_AT: usize = 30 + WEIGHTS.len();

    #[test]
    fn csv_and_tsv_matrices_round_trip_bit_identically_with_and_without_labels() {
        let dir = tmp();
        let c = awkward();
        let labels = c.labels().to_vec();
        for name in ["w.csv", "w.tsv", "w.txt", "W.CSV"] {
            let path = dir.path().join(name);
            write_matrix_csv(&path, 3, c.weights(), Some(&labels)).unwrap();
            let m = read_matrix_csv_labelled(&path).unwrap();
            assert_eq!(m.n, 3);
            assert_eq!(bits(&m.values), bits(c.weights()), "{name}");
            assert_eq!(m.labels.as_deref(), Some(&labels[..]), "{name}");
            write_matrix_csv(&path, 3, c.distances_mm(), None).unwrap();
            let (n, v) = read_matrix_csv(&path).unwrap();
            assert_eq!((n, bits(&v)), (3, bits(c.distances_mm())), "{name}");
        }
        let text = std::fs::read_to_string(dir.path().join("w.tsv")).unwrap();
        assert!(
            text.starts_with("0.0\t12.345678901234567\t1e22\n"),
            "{text}"
        );
    }

    #[test]
    fn csv_headers_pandas_index_columns_quotes_and_line_ends_are_read() {
        let dir = tmp();
        let p = dir.path().join("pandas.csv");
        std::fs::write(
            &p,
            "\u{feff},\"L01\",R01\r\nL01,0.0,-0.5\r\n\"R01\", -0.5 ,0.0\r\n",
        )
        .unwrap();
        let m = read_matrix_csv_labelled(&p).unwrap();
        assert_eq!(m.labels.unwrap(), ["L01", "R01"]);
        assert_eq!(m.values, [0.0, -0.5, -0.5, 0.0]);
        let p = dir.path().join("plain.tsv");
        std::fs::write(&p, "1\t2\n3\t4\n").unwrap();
        let m = read_matrix_csv_labelled(&p).unwrap();
        assert_eq!(
            (m.n, m.labels, m.values),
            (2, None, vec![1.0, 2.0, 3.0, 4.0])
        );
    }

    #[test]
    fn csv_errors_name_the_file_the_line_and_the_column() {
        let dir = tmp();
        let read = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            message(read_matrix_csv(&p))
        };
        let m = read("a.csv", "A,B,C\n0,1,2\n1,0,3\n");
        contains_all(&m, &["a.csv: 2 rows of 3 values: not a square matrix"]);
        let m = read("b.csv", "A,B\n0,1\n1,0,3\n");
        contains_all(
            &m,
            &[
                "b.csv: line 3: 3 values, but the header (line 1) has 2 labels",
                "ragged",
            ],
        );
        let m = read("c.tsv", "0\t1\n1\n");
        contains_all(&m, &["c.tsv: line 2: 1 values, but line 1 has 2", "ragged"]);
        let m = read("d.csv", "A,B\n0,1\n1,zero\n");
        contains_all(&m, &["d.csv: line 3, column 2: `zero` is not a number"]);
        let m = read("e.csv", "0,NaN\n1,0\n");
        contains_all(&m, &["e.csv: line 1, column 2: NaN is not allowed"]);
        let m = read("f.csv", "0,1\n1,\n");
        contains_all(&m, &["f.csv: line 2, column 2: an empty field"]);
        let m = read("g.csv", ",A,B\nA,0,1\nC,1,0\n");
        contains_all(
            &m,
            &["g.csv: line 3: row label `C` differs from column label 2 `B` (line 1)"],
        );
        let m = read("h.json", "[]");
        contains_all(&m, &["h.json: extension .json", ".csv"]);
        let m = read("i.csv", "# nothing\n\n");
        contains_all(&m, &["i.csv: no rows"]);
    }

    #[test]
    fn csv_writing_rejects_labels_that_would_not_read_back() {
        let dir = tmp();
        let p = dir.path().join("w.csv");
        let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let m = message(write_matrix_csv(&p, 2, &[0.0; 4], Some(&l(&["a,b", "c"]))));
        contains_all(&m, &["w.csv", "label \"a,b\" of column 1"]);
        let m = message(write_matrix_csv(&p, 2, &[0.0; 4], Some(&l(&["1", "2"]))));
        contains_all(&m, &["w.csv", "all numbers"]);
        let m = message(write_matrix_csv(&p, 2, &[0.0; 3], None));
        contains_all(&m, &["w.csv", "3 values for a 2×2 matrix"]);
        assert!(!p.exists());
    }
}
