//! Declared parameters of stages and sweep axes, and their validation.

use std::collections::BTreeMap;

use crate::spec::{Node, NodeKind, Source, SpecError};

/// What values a parameter takes.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamKind {
    /// An integer in `[min, max]`.
    Int {
        /// Smallest allowed.
        min: i64,
        /// Largest allowed.
        max: i64,
    },
    /// A finite float in `[min, max]` (or `(min, max]` when `min_exclusive`).
    Float {
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
        /// Whether `min` itself is excluded.
        min_exclusive: bool,
    },
    /// One of a fixed set of strings.
    Choice(&'static [&'static str]),
    /// A list of distinct strings from a fixed set.
    ChoiceList(&'static [&'static str]),
    /// A boolean.
    Bool,
    /// A list of integers, each in `[min, max]`.
    IntList {
        /// Smallest allowed element.
        min: i64,
        /// Largest allowed element.
        max: i64,
    },
    /// An input file: `"example"` (the study's bundled data) or a path,
    /// relative to the current directory. The file must exist when the
    /// pipeline is loaded, and its content is part of the fingerprint of the
    /// stage that reads it: editing the file reruns what depends on it.
    /// `example` holds the bundled file's bytes, hashed the same way (a
    /// new version of the bundled data reruns its readers too).
    File {
        /// The bundled data `"example"` stands for.
        example: &'static [u8],
        /// Whether `"none"` is allowed (no file: the stage skips what needs it).
        optional: bool,
    },
    /// The name of a column or sweep axis: letters, digits and `_`, or `""`
    /// for none.
    Name,
}

impl ParamKind {
    /// Words for "what is allowed".
    pub fn allowed(&self) -> String {
        match self {
            ParamKind::Int { min, max } if *max == i64::MAX => format!("an integer >= {min}"),
            ParamKind::Int { min, max } => format!("an integer in [{min}, {max}]"),
            ParamKind::Float {
                min,
                max,
                min_exclusive,
            } => {
                let lo = if *min_exclusive { "(" } else { "[" };
                if max.is_infinite() {
                    format!("a number {} {min}", if *min_exclusive { ">" } else { ">=" })
                } else {
                    format!("a number in {lo}{min}, {max}]")
                }
            }
            ParamKind::Choice(c) => format!(
                "one of {}",
                c.iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ParamKind::ChoiceList(c) => format!(
                "a list of distinct values from {}",
                c.iter()
                    .map(|s| format!("\"{s}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            ParamKind::Bool => "true or false".into(),
            ParamKind::IntList { min, max } if *max == i64::MAX => {
                format!("a list of integers >= {min}")
            }
            ParamKind::IntList { min, max } => format!("a list of integers in [{min}, {max}]"),
            ParamKind::File { optional, .. } => format!(
                "\"example\" (the bundled data){} or the path of an existing file, \
                 relative to the current directory",
                if *optional { ", \"none\"" } else { "" }
            ),
            ParamKind::Name => {
                "the name of a column or sweep axis (letters, digits, _), or \"\" for none".into()
            }
        }
    }
}

/// A validated parameter value.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamValue {
    /// Integer.
    Int(i64),
    /// Float.
    Float(f64),
    /// String (a choice).
    Str(String),
    /// Boolean.
    Bool(bool),
    /// Integer list.
    IntList(Vec<i64>),
    /// String list (choices).
    StrList(Vec<String>),
}

impl ParamValue {
    /// The value as JSON (what fingerprints hold).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            ParamValue::Int(i) => (*i).into(),
            ParamValue::Float(f) => serde_json::Number::from_f64(*f)
                .map(serde_json::Value::Number)
                .unwrap_or(serde_json::Value::Null),
            ParamValue::Str(s) => s.clone().into(),
            ParamValue::Bool(b) => (*b).into(),
            ParamValue::IntList(v) => v.clone().into(),
            ParamValue::StrList(v) => v.clone().into(),
        }
    }
}

/// A declared parameter with its default and documentation.
#[derive(Debug, Clone)]
pub struct ParamDef {
    /// Key, dotted for nested tables (`record.units`); units in the name.
    pub key: &'static str,
    /// Allowed values.
    pub kind: ParamKind,
    /// Default value.
    pub default: ParamValue,
    /// One line of documentation.
    pub doc: &'static str,
}

/// Validated parameters of one stage: every declared key, defaults filled in.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Params(pub BTreeMap<String, ParamValue>);

impl Params {
    /// Canonical JSON (keys sorted): what fingerprints and file metadata hold.
    pub fn canonical_json(&self) -> String {
        let m: serde_json::Map<String, serde_json::Value> = self
            .0
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        serde_json::Value::Object(m).to_string()
    }

    fn get(&self, key: &str) -> &ParamValue {
        self.0
            .get(key)
            .unwrap_or_else(|| panic!("parameter `{key}` is not declared by its stage"))
    }

    /// A float (integers are widened).
    pub fn f64(&self, key: &str) -> f64 {
        match self.get(key) {
            ParamValue::Float(f) => *f,
            ParamValue::Int(i) => *i as f64,
            v => panic!("parameter `{key}` is {v:?}, not a number"),
        }
    }

    /// A non-negative integer.
    pub fn usize(&self, key: &str) -> usize {
        match self.get(key) {
            ParamValue::Int(i) if *i >= 0 => *i as usize,
            v => panic!("parameter `{key}` is {v:?}, not a count"),
        }
    }

    /// A string.
    pub fn str(&self, key: &str) -> &str {
        match self.get(key) {
            ParamValue::Str(s) => s,
            v => panic!("parameter `{key}` is {v:?}, not a string"),
        }
    }

    /// A list of non-negative integers as u32.
    pub fn u32_list(&self, key: &str) -> Vec<u32> {
        match self.get(key) {
            ParamValue::IntList(v) => v.iter().map(|&i| i as u32).collect(),
            v => panic!("parameter `{key}` is {v:?}, not a list"),
        }
    }

    /// A list of strings.
    pub fn str_list(&self, key: &str) -> Vec<String> {
        match self.get(key) {
            ParamValue::StrList(v) => v.clone(),
            v => panic!("parameter `{key}` is {v:?}, not a list of strings"),
        }
    }

    /// Keys whose values differ between `self` and `other` (either side missing counts).
    pub fn diff(&self, other: &Params) -> Vec<String> {
        let mut keys: Vec<String> = self
            .0
            .iter()
            .filter(|(k, v)| other.0.get(*k) != Some(v))
            .map(|(k, _)| k.clone())
            .collect();
        keys.extend(other.0.keys().filter(|k| !self.0.contains_key(*k)).cloned());
        keys
    }
}

/// Flatten a table node into `(dotted key, key span, value)` leaves. An
/// empty table is a leaf of its own (`dt_ms = {}` must not vanish).
pub fn flatten<'a>(prefix: &str, node: &'a Node, out: &mut Vec<(String, usize, &'a Node)>) {
    if let NodeKind::Table(entries) = &node.kind {
        for (k, span, v) in entries {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            if matches!(&v.kind, NodeKind::Table(t) if !t.is_empty()) {
                flatten(&key, v, out);
            } else {
                out.push((key, span.start, v));
            }
        }
    }
}

/// The byte position of the value of leaf `key` (dotted) in a table node,
/// if the file sets it: where an error about that value points.
pub fn leaf_position(table: &Node, key: &str) -> Option<usize> {
    let mut leaves = Vec::new();
    flatten("", table, &mut leaves);
    leaves
        .iter()
        .find(|(k, _, _)| k == key)
        .map(|(_, _, n)| n.span.start)
}

/// Check one value against its definition.
pub fn check_value(
    src: &Source,
    full_key: &str,
    def: &ParamDef,
    node: &Node,
) -> Result<ParamValue, SpecError> {
    let bad = |msg: String| Err(src.error(node.span.start, full_key, msg));
    let found = node.kind.type_name();
    match (&def.kind, &node.kind) {
        (ParamKind::Int { min, max }, NodeKind::Int(i)) => {
            if i < min || i > max {
                return bad(format!(
                    "{i} is out of range: expected {}",
                    def.kind.allowed()
                ));
            }
            Ok(ParamValue::Int(*i))
        }
        (
            ParamKind::Float {
                min,
                max,
                min_exclusive,
            },
            NodeKind::Int(_) | NodeKind::Float(_),
        ) => {
            let x = match node.kind {
                NodeKind::Int(i) => i as f64,
                NodeKind::Float(f) => f,
                _ => unreachable!(),
            };
            let below = if *min_exclusive { x <= *min } else { x < *min };
            if !x.is_finite() || below || x > *max {
                return bad(format!(
                    "{x} is out of range: expected {}",
                    def.kind.allowed()
                ));
            }
            Ok(ParamValue::Float(x))
        }
        (ParamKind::Choice(c), NodeKind::Str(s)) => {
            if !c.contains(&s.as_str()) {
                return bad(format!(
                    "\"{s}\" is not allowed: expected {}",
                    def.kind.allowed()
                ));
            }
            Ok(ParamValue::Str(s.clone()))
        }
        (ParamKind::Bool, NodeKind::Bool(b)) => Ok(ParamValue::Bool(*b)),
        (ParamKind::Name, NodeKind::Str(s)) => {
            if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return bad(format!(
                    "\"{s}\" is not allowed: expected {}",
                    def.kind.allowed()
                ));
            }
            Ok(ParamValue::Str(s.clone()))
        }
        (ParamKind::File { optional, .. }, NodeKind::Str(s)) => {
            let none = *optional && s == "none";
            if s != "example" && !none && !std::path::Path::new(s).is_file() {
                let cwd = std::env::current_dir()
                    .map(|d| d.display().to_string())
                    .unwrap_or_else(|_| "?".into());
                return bad(format!(
                    "\"{s}\" is not a file (relative paths are from the current directory, {cwd}): expected {}",
                    def.kind.allowed()
                ));
            }
            Ok(ParamValue::Str(s.clone()))
        }
        (ParamKind::IntList { min, max }, NodeKind::Array(items)) => {
            let mut v = Vec::new();
            for it in items {
                match it.kind {
                    NodeKind::Int(i) if i >= *min && i <= *max => v.push(i),
                    _ => {
                        return Err(src.error(
                            it.span.start,
                            full_key,
                            format!("element is not allowed: expected {}", def.kind.allowed()),
                        ));
                    }
                }
            }
            Ok(ParamValue::IntList(v))
        }
        (ParamKind::ChoiceList(c), NodeKind::Array(items)) => {
            let mut v: Vec<String> = Vec::new();
            for it in items {
                match &it.kind {
                    NodeKind::Str(x) if c.contains(&x.as_str()) && !v.contains(x) => {
                        v.push(x.clone())
                    }
                    _ => {
                        return Err(src.error(
                            it.span.start,
                            full_key,
                            format!("element is not allowed: expected {}", def.kind.allowed()),
                        ));
                    }
                }
            }
            Ok(ParamValue::StrList(v))
        }
        _ => bad(format!("expected {}, found {found}", def.kind.allowed())),
    }
}

/// Validate a stage's table against its definitions; unknown keys are errors.
pub fn validate_stage(
    src: &Source,
    stage: &str,
    defs: &[ParamDef],
    table: Option<&Node>,
) -> Result<Params, SpecError> {
    let mut out: BTreeMap<String, ParamValue> = defs
        .iter()
        .map(|d| (d.key.to_string(), d.default.clone()))
        .collect();
    if let Some(t) = table {
        if !matches!(t.kind, NodeKind::Table(_)) {
            return Err(src.error(t.span.start, stage, "expected a table of parameters"));
        }
        let mut leaves = Vec::new();
        flatten("", t, &mut leaves);
        for (key, at, node) in leaves {
            let full = format!("{stage}.{key}");
            let section = format!("{key}.");
            if matches!(&node.kind, NodeKind::Table(t) if t.is_empty())
                && defs.iter().any(|d| d.key.starts_with(&section))
            {
                continue; // an empty section such as `[stages.x.record]`
            }
            // a table where a value belongs (`dt_ms = { a = 1 }`)
            let mut prefix = String::new();
            for part in key.split('.') {
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(part);
                if prefix.len() < key.len()
                    && let Some(def) = defs.iter().find(|d| d.key == prefix)
                {
                    return Err(src.error(
                        at,
                        &format!("{stage}.{prefix}"),
                        format!("expected {}, found a table", def.kind.allowed()),
                    ));
                }
            }
            let Some(def) = defs.iter().find(|d| d.key == key) else {
                let allowed = defs.iter().map(|d| d.key).collect::<Vec<_>>().join(", ");
                return Err(src.error(
                    at,
                    &full,
                    format!("unknown key; stage `{stage}` accepts: {allowed}"),
                ));
            };
            out.insert(key, check_value(src, &full, def, node)?);
        }
    }
    Ok(Params(out))
}

/// An integer parameter in `[min, max]`.
pub(crate) fn int(
    key: &'static str,
    min: i64,
    max: i64,
    default: i64,
    doc: &'static str,
) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::Int { min, max },
        default: ParamValue::Int(default),
        doc,
    }
}

pub(crate) fn positive(key: &'static str, max: f64, default: f64, doc: &'static str) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::Float {
            min: 0.0,
            max,
            min_exclusive: true,
        },
        default: ParamValue::Float(default),
        doc,
    }
}

pub(crate) fn choice(
    key: &'static str,
    allowed: &'static [&'static str],
    default: &'static str,
    doc: &'static str,
) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::Choice(allowed),
        default: ParamValue::Str(default.to_string()),
        doc,
    }
}

pub(crate) fn int_list(key: &'static str, default: &[i64], doc: &'static str) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::IntList {
            min: 0,
            max: u32::MAX as i64,
        },
        default: ParamValue::IntList(default.to_vec()),
        doc,
    }
}

pub(crate) fn choice_list(
    key: &'static str,
    allowed: &'static [&'static str],
    default: &[&str],
    doc: &'static str,
) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::ChoiceList(allowed),
        default: ParamValue::StrList(default.iter().map(|s| s.to_string()).collect()),
        doc,
    }
}

pub(crate) fn float(
    key: &'static str,
    min: f64,
    max: f64,
    default: f64,
    doc: &'static str,
) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::Float {
            min,
            max,
            min_exclusive: false,
        },
        default: ParamValue::Float(default),
        doc,
    }
}

/// A column or axis name parameter (`ParamKind::Name`), `""` (none) by
/// default.
pub(crate) fn name(key: &'static str, doc: &'static str) -> ParamDef {
    ParamDef {
        key,
        kind: ParamKind::Name,
        default: ParamValue::Str(String::new()),
        doc,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::get;

    fn defs() -> Vec<ParamDef> {
        vec![
            ParamDef {
                key: "n",
                kind: ParamKind::Int {
                    min: 2,
                    max: 100_000,
                },
                default: ParamValue::Int(200),
                doc: "",
            },
            ParamDef {
                key: "tau_ms",
                kind: ParamKind::Float {
                    min: 0.0,
                    max: f64::INFINITY,
                    min_exclusive: true,
                },
                default: ParamValue::Float(20.0),
                doc: "",
            },
            ParamDef {
                key: "record.units",
                kind: ParamKind::IntList {
                    min: 0,
                    max: i64::MAX,
                },
                default: ParamValue::IntList(vec![]),
                doc: "",
            },
        ]
    }

    fn run(text: &str) -> Result<Params, SpecError> {
        let src = Source {
            path: "x.toml".into(),
            text: text.into(),
        };
        let doc = src.parse().unwrap();
        validate_stage(&src, "sim", &defs(), get(&doc, "sim").map(|x| x.1))
    }

    #[test]
    fn defaults_fill_in_and_ints_widen_to_floats() {
        let p = run("[sim]\ntau_ms = 10\n[sim.record]\nunits = [1, 2]\n").unwrap();
        assert_eq!(p.f64("tau_ms"), 10.0);
        assert_eq!(p.usize("n"), 200);
        assert_eq!(p.u32_list("record.units"), vec![1, 2]);
        assert_eq!(
            p.canonical_json(),
            r#"{"n":200,"record.units":[1,2],"tau_ms":10.0}"#
        );
    }

    #[test]
    fn errors_name_line_column_key_and_allowed() {
        let e = run("[sim]\nn = 1\n").unwrap_err();
        assert_eq!((e.line, e.column, e.key.as_str()), (2, 5, "sim.n"));
        assert!(e.message.contains("[2, 100000]"), "{e}");
        let e = run("[sim]\ntau_ms = \"fast\"\n").unwrap_err();
        assert!(e.message.contains("found a string"), "{e}");
        let e = run("[sim]\n\ntau = 3\n").unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (3, "sim.tau"));
        assert!(
            e.message.contains("accepts: n, tau_ms, record.units"),
            "{e}"
        );
        let e = run("[sim]\ntau_ms = 0.0\n").unwrap_err();
        assert!(e.message.contains("> 0"), "{e}");
        let e = run("[sim.record]\nunits = [1, -2]\n").unwrap_err();
        assert_eq!((e.line, e.column), (2, 13));
    }

    #[test]
    fn a_table_where_a_value_belongs_is_an_error_and_an_empty_section_is_not() {
        for (text, key) in [
            ("[sim]\ntau_ms = {}\n", "sim.tau_ms"),
            ("[sim]\nn = { a = 1 }\n", "sim.n"),
            ("[sim]\nrecord = { units = {} }\n", "sim.record.units"),
        ] {
            let e = run(text).unwrap_err();
            assert_eq!((e.line, e.key.as_str()), (2, key), "{text}: {e}");
            assert!(e.message.contains("found a table"), "{text}: {e}");
        }
        let e = run("[sim]\nnoise = {}\n").unwrap_err();
        assert!(e.message.starts_with("unknown key"), "{e}");
        // an empty section of parameters keeps the defaults
        let p = run("[sim]\n[sim.record]\n").unwrap();
        assert_eq!(p.u32_list("record.units"), Vec::<u32>::new());
    }
}
