//! Pipeline files: TOML parsed with positions, so every error names the
//! file, line and column, the key, and what is allowed.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// An error in a pipeline file.
#[derive(Debug, Clone, PartialEq)]
pub struct SpecError {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// Dotted key the error concerns (empty for syntax errors).
    pub key: String,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "key `{}`: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for SpecError {}

/// A parsed TOML value with its byte span in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Byte range in the file.
    pub span: Range<usize>,
    /// The value.
    pub kind: NodeKind,
}

/// The kinds of TOML value neurodyn accepts.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// String.
    Str(String),
    /// Boolean.
    Bool(bool),
    /// Array.
    Array(Vec<Node>),
    /// Table: (key, key span, value) in file order.
    Table(Vec<(String, Range<usize>, Node)>),
    /// Date-times are parsed but never allowed.
    Datetime,
}

impl NodeKind {
    /// Human name of the type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            NodeKind::Int(_) => "an integer",
            NodeKind::Float(_) => "a float",
            NodeKind::Str(_) => "a string",
            NodeKind::Bool(_) => "a boolean",
            NodeKind::Array(_) => "an array",
            NodeKind::Table(_) => "a table",
            NodeKind::Datetime => "a date-time",
        }
    }
}

/// A pipeline file's text and name, for positions in errors.
#[derive(Debug, Clone)]
pub struct Source {
    /// Path as given.
    pub path: PathBuf,
    /// The text.
    pub text: String,
}

impl Source {
    /// Read a file.
    pub fn read(path: &Path) -> Result<Self, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|e| SpecError {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            key: String::new(),
            message: format!("cannot read the pipeline file: {e}"),
        })?;
        Ok(Source {
            path: path.to_path_buf(),
            text,
        })
    }

    /// An error at byte offset `at` about `key`.
    pub fn error(&self, at: usize, key: &str, message: impl Into<String>) -> SpecError {
        let at = at.min(self.text.len());
        let before = &self.text[..at];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        SpecError {
            file: self.path.clone(),
            line,
            column,
            key: key.to_string(),
            message: message.into(),
        }
    }

    /// Parse the whole file into a table node.
    pub fn parse(&self) -> Result<Node, SpecError> {
        let doc = toml::de::DeTable::parse(&self.text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            self.error(at, "", format!("not valid TOML: {}", e.message()))
        })?;
        let span = doc.span();
        Ok(Node {
            span,
            kind: convert_table(self, doc.get_ref())?,
        })
    }
}

fn convert_table(src: &Source, t: &toml::de::DeTable<'_>) -> Result<NodeKind, SpecError> {
    let mut out = Vec::new();
    for (k, v) in t.iter() {
        out.push((k.get_ref().to_string(), k.span(), convert(src, v)?));
    }
    Ok(NodeKind::Table(out))
}

fn convert(src: &Source, v: &toml::Spanned<toml::de::DeValue<'_>>) -> Result<Node, SpecError> {
    use toml::de::DeValue;
    let span = v.span();
    let kind = match v.get_ref() {
        DeValue::String(s) => NodeKind::Str(s.to_string()),
        DeValue::Integer(i) => {
            let digits: String = i.as_str().chars().filter(|c| *c != '_').collect();
            let (neg, body) = match digits.strip_prefix('-') {
                Some(b) => (true, b.to_string()),
                None => (false, digits.trim_start_matches('+').to_string()),
            };
            let body = body
                .trim_start_matches("0x")
                .trim_start_matches("0o")
                .trim_start_matches("0b");
            let mag = i64::from_str_radix(body, i.radix())
                .map_err(|_| src.error(span.start, "", "integer out of range"))?;
            NodeKind::Int(if neg { -mag } else { mag })
        }
        DeValue::Float(f) => {
            let s: String = f.as_str().chars().filter(|c| *c != '_').collect();
            let x = match s.trim_start_matches('+') {
                "inf" => f64::INFINITY,
                "-inf" => f64::NEG_INFINITY,
                "nan" | "-nan" => f64::NAN,
                other => other
                    .parse::<f64>()
                    .map_err(|_| src.error(span.start, "", "not a valid float"))?,
            };
            NodeKind::Float(x)
        }
        DeValue::Boolean(b) => NodeKind::Bool(*b),
        DeValue::Datetime(_) => NodeKind::Datetime,
        DeValue::Array(a) => NodeKind::Array(
            a.iter()
                .map(|e| convert(src, e))
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(t) => convert_table(src, t)?,
    };
    Ok(Node { span, kind })
}

/// Look up a key in a table node.
pub fn get<'a>(table: &'a Node, key: &str) -> Option<(&'a Range<usize>, &'a Node)> {
    match &table.kind {
        NodeKind::Table(entries) => entries
            .iter()
            .find(|(k, _, _)| k == key)
            .map(|(_, s, v)| (s, v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(text: &str) -> Source {
        Source {
            path: "p.toml".into(),
            text: text.into(),
        }
    }

    #[test]
    fn positions_are_line_and_column() {
        let s = src("a = 1\n[b]\nc = \"x\"\n");
        let e = s.error(s.text.find('c').unwrap(), "b.c", "bad");
        assert_eq!((e.line, e.column), (3, 1));
        assert_eq!(e.to_string(), "p.toml:3:1: key `b.c`: bad");
    }

    #[test]
    fn parses_values_with_spans() {
        let s = src("x = 1_000\ny = -2.5e-3\n[t]\nz = [1, 2]\nw = 0x10\n");
        let n = s.parse().unwrap();
        assert_eq!(get(&n, "x").unwrap().1.kind, NodeKind::Int(1000));
        assert_eq!(get(&n, "y").unwrap().1.kind, NodeKind::Float(-2.5e-3));
        let t = get(&n, "t").unwrap().1;
        match &get(t, "z").unwrap().1.kind {
            NodeKind::Array(a) => assert_eq!(a.len(), 2),
            k => panic!("{k:?}"),
        }
        assert_eq!(get(t, "w").unwrap().1.kind, NodeKind::Int(16));
        let span = &get(&n, "y").unwrap().1.span;
        assert_eq!(&s.text[span.clone()], "-2.5e-3");
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = src("a = 1\nb = = 2\n").parse().unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("not valid TOML"));
    }
}
