//! Composed pipelines: `[stages.NAME]` entries pick a stage kind from the
//! library, bind its input ports to upstream tables and set its parameters.
//! The whole graph is checked here, before anything runs: unknown kinds,
//! unknown or missing inputs, inputs of the wrong table kind, scopes that
//! cannot meet, cycles and unknown parameters are errors that name the
//! file, line, column and key.

use crate::library::{self, StageKind};
use crate::params::validate_stage;
use crate::spec::{Node, NodeKind, Source, SpecError};
use crate::study::{AxisDef, Binding, Point, Scope, StageDef, Study, intern};

/// The study of a composed pipeline: the union of its kinds' sweep axes
/// and its stages.
pub struct Composed {
    axes: Vec<AxisDef>,
    stages: Vec<StageDef>,
    /// Each stage kind's canonical point, applied in stage order.
    canonical: Vec<fn(Point) -> Point>,
}

impl Study for Composed {
    fn name(&self) -> &'static str {
        "composed"
    }

    fn description(&self) -> &'static str {
        "a pipeline composed of library stages"
    }

    fn axes(&self) -> Vec<AxisDef> {
        self.axes.clone()
    }

    fn stages(&self) -> Vec<StageDef> {
        self.stages.clone()
    }

    fn canonical_point(&self, point: Point) -> Point {
        self.canonical.iter().fold(point, |p, f| f(p))
    }
}

/// Keys of a stage entry that are not parameters.
const ENTRY_KEYS: &[&str] = &["kind", "inputs", "scope"];

/// Folder names a stage may not take.
const RESERVED: &[&str] = &["tables", "figures", "_manifests", "pipeline", "sweep"];

/// Reserved names an across-sweep stage may take: it has no folder of its
/// own (its manifest is `_manifests/<stage>.json`).
const AGGREGATE_NAMES: &[&str] = &["tables", "figures"];

/// Whether a stage entry's kind runs across the sweep (false when unknown:
/// the kind's own error comes later).
fn node_scope_is_aggregate(node: &Node) -> bool {
    match crate::spec::get(node, "kind").map(|(_, k)| &k.kind) {
        Some(NodeKind::Str(k)) => library::find(k).is_some_and(|k| k.scope == Scope::Aggregate),
        _ => false,
    }
}

fn scope_word(s: Scope) -> &'static str {
    match s {
        Scope::PerPoint => "per-point",
        Scope::Aggregate => "across-sweep",
    }
}

struct Entry<'a> {
    name: &'static str,
    at: usize,
    kind: StageKind,
    table: &'a Node,
    inputs_at: usize,
    /// (stage, table, position) as written; an empty table: the whole
    /// stage (`"simulate"`), bound to every port one of its tables fits.
    inputs: Vec<(String, String, usize)>,
}

/// Validate the `[stages]` table `stages` of `src`; returns the study and
/// the stages in a topological order (by name where the graph allows).
pub fn compose(
    src: &Source,
    stages: &Node,
) -> Result<(Composed, Vec<(StageDef, crate::params::Params)>), SpecError> {
    let NodeKind::Table(items) = &stages.kind else {
        return Err(src.error(
            stages.span.start,
            "stages",
            "expected a table of stages ([stages.NAME])",
        ));
    };
    if items.is_empty() {
        return Err(src.error(
            stages.span.start,
            "stages",
            "no stages: add [stages.NAME] tables with kind = \"…\"",
        ));
    }
    let kinds = library::kinds();
    let kind_names: Vec<&str> = kinds.iter().map(|k| k.name).collect();
    let mut entries: Vec<Entry> = Vec::new();
    for (name, span, node) in items {
        let key = format!("stages.{name}");
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            || RESERVED.contains(&name.as_str())
                && !(AGGREGATE_NAMES.contains(&name.as_str()) && node_scope_is_aggregate(node))
        {
            return Err(src.error(
                span.start,
                &key,
                format!(
                    "a stage name is letters, digits, '-' and '_', and not one of {}",
                    RESERVED.join(", ")
                ),
            ));
        }
        let NodeKind::Table(_) = &node.kind else {
            return Err(src.error(
                node.span.start,
                &key,
                "expected a table with kind = \"…\" and the stage's parameters",
            ));
        };
        let Some((_, kn)) = crate::spec::get(node, "kind") else {
            return Err(src.error(
                span.start,
                &format!("{key}.kind"),
                format!(
                    "missing: the stage's kind, one of {}",
                    kind_names.join(", ")
                ),
            ));
        };
        let NodeKind::Str(kname) = &kn.kind else {
            return Err(src.error(
                kn.span.start,
                &format!("{key}.kind"),
                format!("expected a string, one of {}", kind_names.join(", ")),
            ));
        };
        let Some(kind) = kinds.iter().find(|k| k.name == kname).cloned() else {
            let hint = closest(kname, &kind_names)
                .map(|c| format!("did you mean \"{c}\"? "))
                .unwrap_or_default();
            return Err(src.error(
                kn.span.start,
                &format!("{key}.kind"),
                format!(
                    "unknown stage kind \"{kname}\"; {hint}kinds: {} (`neurodyn stages` describes them)",
                    kind_names.join(", ")
                ),
            ));
        };
        if let Some((_, sn)) = crate::spec::get(node, "scope") {
            let want = scope_word(kind.scope);
            match &sn.kind {
                NodeKind::Str(s) if s == want => {}
                NodeKind::Str(s) if s == "per-point" || s == "across-sweep" => {
                    return Err(src.error(
                        sn.span.start,
                        &format!("{key}.scope"),
                        format!("kind {} runs {want}, not {s}", kind.name),
                    ));
                }
                _ => {
                    return Err(src.error(
                        sn.span.start,
                        &format!("{key}.scope"),
                        format!(
                            "expected \"per-point\" or \"across-sweep\" (kind {} runs {want})",
                            kind.name
                        ),
                    ));
                }
            }
        }
        let mut inputs = Vec::new();
        let mut inputs_at = span.start;
        if let Some((ispan, inode)) = crate::spec::get(node, "inputs") {
            inputs_at = ispan.start;
            let NodeKind::Array(list) = &inode.kind else {
                return Err(src.error(
                    inode.span.start,
                    &format!("{key}.inputs"),
                    "expected a list of \"stage.table\" strings, e.g. [\"simulate.spikes\"]",
                ));
            };
            for it in list {
                let NodeKind::Str(s) = &it.kind else {
                    return Err(src.error(
                        it.span.start,
                        &format!("{key}.inputs"),
                        "expected a \"stage.table\" string, e.g. \"simulate.spikes\"",
                    ));
                };
                // "stage": every port that one of its tables fits
                let (st, tb) = s.split_once('.').unwrap_or((s.as_str(), ""));
                inputs.push((st.to_string(), tb.to_string(), it.span.start));
            }
        }
        entries.push(Entry {
            name: intern(name),
            at: span.start,
            kind,
            table: node,
            inputs_at,
            inputs,
        });
    }

    // the graph: which stages each one reads; unknown stages and cycles
    // first, then what each table is
    let names: Vec<&str> = entries.iter().map(|e| e.name).collect();
    let mut upstream: Vec<Vec<usize>> = Vec::new();
    for e in &entries {
        let key = format!("stages.{}.inputs", e.name);
        let mut ups: Vec<usize> = Vec::new();
        for (st, _, at) in &e.inputs {
            let Some(u) = entries.iter().position(|x| x.name == st) else {
                let hint = closest(st, &names)
                    .map(|c| format!("did you mean `{c}`? "))
                    .unwrap_or_default();
                return Err(src.error(
                    *at,
                    &key,
                    format!(
                        "no stage `{st}` in this pipeline; {hint}stages: {}",
                        names.join(", ")
                    ),
                ));
            };
            if !ups.contains(&u) {
                ups.push(u);
            }
        }
        upstream.push(ups);
    }

    // a topological order, by name where free; a cycle is an error
    let n = entries.len();
    let mut order: Vec<usize> = Vec::new();
    let mut done = vec![false; n];
    while order.len() < n {
        let Some(next) = (0..n).find(|&i| !done[i] && upstream[i].iter().all(|&u| done[u])) else {
            let start = (0..n).find(|&i| !done[i]).expect("some stage is left");
            let cycle = find_cycle(start, &upstream, &done);
            let words: Vec<&str> = cycle.iter().map(|&i| entries[i].name).collect();
            let first = cycle[0];
            return Err(src.error(
                entries[first].inputs_at,
                &format!("stages.{}.inputs", entries[first].name),
                format!(
                    "the stages form a cycle: {} (each reads the next one's table)",
                    words.join(" <- ")
                ),
            ));
        };
        done[next] = true;
        order.push(next);
    }

    // bind every input to a port: "stage.table" first, then whole stages
    let mut bindings: Vec<Vec<Binding>> = Vec::new();
    for e in &entries {
        let key = format!("stages.{}.inputs", e.name);
        let mut bound: Vec<Binding> = Vec::new();
        let explicit = e.inputs.iter().filter(|i| !i.1.is_empty());
        let whole = e.inputs.iter().filter(|i| i.1.is_empty());
        for (st, tb, at) in explicit.chain(whole) {
            let u = entries
                .iter()
                .position(|x| x.name == st)
                .expect("checked above");
            let uk = &entries[u].kind;
            if e.kind.scope == Scope::PerPoint && uk.scope == Scope::Aggregate {
                return Err(src.error(*at, &key, format!(
                    "stage `{}` runs per sweep point and cannot read `{st}`, which runs across the sweep",
                    e.name
                )));
            }
            let fits = |p: &library::Port, o: &library::Output| match p.kind {
                Some(k) => k.name == o.kind.name,
                None => uk.scope == Scope::PerPoint,
            };
            let wants = || -> String {
                let w: Vec<String> = e
                    .kind
                    .inputs
                    .iter()
                    .map(|p| match p.kind {
                        Some(k) => format!("{} (a table of kind `{}`)", p.name, k.name),
                        None => format!("{} (a per-point table of any kind)", p.name),
                    })
                    .collect();
                if w.is_empty() {
                    "no inputs".into()
                } else {
                    w.join(", ")
                }
            };
            let binding = |port: &library::Port, out: &library::Output| Binding {
                port: port.name,
                stage: entries[u].name,
                table: out.table,
                scope: uk.scope,
                named_by_stage: out.named_by_stage,
            };
            if tb.is_empty() {
                // every unbound port that exactly one table of `st` fits
                let mut any = false;
                for p in e.kind.inputs {
                    if bound.iter().any(|b| b.port == p.name) {
                        continue;
                    }
                    let outs: Vec<&library::Output> =
                        uk.outputs.iter().filter(|o| fits(p, o)).collect();
                    match outs.as_slice() {
                        [] => {}
                        [o] => {
                            bound.push(binding(p, o));
                            any = true;
                        }
                        many => {
                            let names: Vec<String> = many
                                .iter()
                                .map(|o| format!("\"{st}.{}\"", o.table))
                                .collect();
                            return Err(src.error(
                                *at,
                                &key,
                                format!(
                                    "several tables of `{st}` fit input `{}`: name one of {}",
                                    p.name,
                                    names.join(", ")
                                ),
                            ));
                        }
                    }
                }
                if !any {
                    let outs: Vec<String> = uk
                        .outputs
                        .iter()
                        .map(|o| format!("{} (`{}`)", o.table, o.kind.name))
                        .collect();
                    return Err(src.error(
                        *at,
                        &key,
                        format!(
                            "no table of stage `{st}` fits an unbound input of kind {}; `{st}` (kind {}) writes: {}; kind {} reads: {}",
                            e.kind.name,
                            uk.name,
                            if outs.is_empty() {
                                "nothing (figures only)".into()
                            } else {
                                outs.join(", ")
                            },
                            e.kind.name,
                            wants()
                        ),
                    ));
                }
                continue;
            }
            let Some(out) = uk.outputs.iter().find(|o| o.table == tb) else {
                let outs: Vec<&str> = uk.outputs.iter().map(|o| o.table).collect();
                return Err(src.error(
                    *at,
                    &key,
                    format!(
                        "stage `{st}` (kind {}) writes no table `{tb}`; it writes: {}",
                        uk.name,
                        if outs.is_empty() {
                            "nothing (figures only)".into()
                        } else {
                            outs.join(", ")
                        }
                    ),
                ));
            };
            let free = e
                .kind
                .inputs
                .iter()
                .find(|p| fits(p, out) && !bound.iter().any(|b| b.port == p.name));
            let Some(port) = free.or_else(|| e.kind.inputs.iter().find(|p| fits(p, out))) else {
                return Err(src.error(
                    *at,
                    &key,
                    format!(
                        "`{st}.{tb}` is a table of kind `{}`{}; kind {} reads: {}",
                        out.kind.name,
                        if uk.scope == Scope::Aggregate {
                            " across the sweep"
                        } else {
                            ""
                        },
                        e.kind.name,
                        wants()
                    ),
                ));
            };
            if bound.iter().any(|b| b.port == port.name) {
                return Err(src.error(*at, &key, format!("input `{}` is bound twice", port.name)));
            }
            bound.push(binding(port, out));
        }
        for p in e.kind.inputs {
            if bound.iter().any(|b| b.port == p.name) {
                continue;
            }
            let fits: Vec<String> = entries
                .iter()
                .filter(|x| x.name != e.name)
                .flat_map(|x| x.kind.outputs.iter().map(move |o| (x, o)))
                .filter(|(x, o)| match p.kind {
                    Some(k) => k.name == o.kind.name,
                    None => x.kind.scope == Scope::PerPoint,
                })
                .map(|(x, o)| format!("\"{}.{}\"", x.name, o.table))
                .collect();
            let what = match p.kind {
                Some(k) => format!("a table of kind `{}`", k.name),
                None => "a per-point table".into(),
            };
            return Err(src.error(
                e.inputs_at,
                &key,
                format!(
                    "missing input: kind {} reads `{}`, {what}; {}",
                    e.kind.name,
                    p.name,
                    if fits.is_empty() {
                        "no stage of this pipeline writes one".into()
                    } else {
                        format!("tables that fit: {}", fits.join(", "))
                    }
                ),
            ));
        }
        bindings.push(bound);
    }

    // no two stages write one file across the sweep
    let mut files: Vec<(String, &str)> = Vec::new();
    for e in entries.iter().filter(|e| e.kind.scope == Scope::Aggregate) {
        for o in e.kind.outputs {
            let file = if o.named_by_stage {
                format!("tables/{}.parquet", e.name)
            } else {
                format!("tables/{}.parquet", o.table)
            };
            if let Some((_, other)) = files.iter().find(|(f, _)| *f == file) {
                return Err(src.error(
                    e.at,
                    &format!("stages.{}", e.name),
                    format!("stage `{other}` writes {file} already; each table across the sweep is written once"),
                ));
            }
            files.push((file, e.name));
        }
    }

    // parameters, axes, and the stage definitions
    let mut axes: Vec<AxisDef> = Vec::new();
    let mut out = Vec::new();
    for &i in &order {
        let e = &entries[i];
        let key = format!("stages.{}", e.name);
        let params_node = params_of(e.table);
        let defs = (e.kind.params)();
        let params = validate_stage(src, &key, &defs, Some(&params_node)).map_err(|mut err| {
            if err.message.starts_with("unknown key;") {
                let allowed: Vec<&str> = ENTRY_KEYS
                    .iter()
                    .copied()
                    .chain(defs.iter().map(|d| d.key))
                    .collect();
                err.message = format!(
                    "unknown key; a stage of kind {} accepts: {}",
                    e.kind.name,
                    allowed.join(", ")
                );
            }
            err
        })?;
        if let Err((k, msg)) = (e.kind.check)(&params) {
            let at = crate::params::leaf_position(&params_node, k).unwrap_or(e.at);
            return Err(src.error(at, &format!("{key}.{k}"), msg));
        }
        for a in (e.kind.axes)() {
            match axes.iter().find(|x| x.name == a.name) {
                Some(x) if x.integer != a.integer || x.choices != a.choices => {
                    return Err(src.error(e.at, &key, format!(
                        "kind {} sweeps `{}` with other values than an earlier stage does; use one of them",
                        e.kind.name, a.name
                    )));
                }
                Some(_) => {}
                None => axes.push(a),
            }
        }
        let mut inputs: Vec<&'static str> = Vec::new();
        for b in &bindings[i] {
            if !inputs.contains(&b.stage) {
                inputs.push(b.stage);
            }
        }
        out.push((
            StageDef {
                name: e.name,
                scope: e.kind.scope,
                inputs,
                bindings: bindings[i].clone(),
                code_version: intern(&format!("{}/{}", e.kind.name, e.kind.code_version)),
                params: defs,
                doc: e.kind.doc,
                check: e.kind.check,
                run: e.kind.run,
                cost: e.kind.cost,
                check_at_load: e.kind.check_at_load,
                draws: e.kind.role == crate::library::Role::Figure,
            },
            params,
        ));
    }
    check_columns(src, &entries, &order, &bindings, &out, &axes)?;
    let stages = out.iter().map(|(d, _)| d.clone()).collect();
    let canonical = order.iter().map(|&i| entries[i].kind.canonical).collect();
    Ok((
        Composed {
            axes,
            stages,
            canonical,
        },
        out,
    ))
}

/// A column a table is known to hold: its name and whether it is numeric.
type Col = (String, bool);

/// The columns of the table bound by `b`, where the library knows them: a
/// per-point table of a fixed kind (the sweep keys, then the kind's
/// columns), or a `collect` table of one (the same, or with `mean_over` the
/// other keys, `n`, and `c_mean`, `c_sd` per numeric column).
fn columns_of(
    b: &Binding,
    entries: &[Entry],
    bindings: &[Vec<Binding>],
    params: &dyn Fn(usize) -> Option<crate::params::Params>,
    axes: &[AxisDef],
) -> Option<Vec<Col>> {
    let u = entries.iter().position(|e| e.name == b.stage)?;
    let k = &entries[u].kind;
    let keys = || {
        axes.iter()
            .map(|a| (a.name.to_string(), a.choices.is_empty()))
    };
    match k.scope {
        Scope::PerPoint => {
            let out = k.outputs.iter().find(|o| o.table == b.table)?;
            if !out.kind.is_fixed() {
                return None;
            }
            let mut cols: Vec<Col> = keys().collect();
            cols.extend(out.kind.columns.iter().map(|c| {
                let numeric = !matches!(
                    c.ty,
                    neurodyn_core::ColumnType::Str | neurodyn_core::ColumnType::Bool
                );
                (c.name.to_string(), numeric)
            }));
            Some(cols)
        }
        Scope::Aggregate if k.name == "collect" => {
            let inner = columns_of(bindings[u].first()?, entries, bindings, params, axes)?;
            let over = params(u)?.str("mean_over").to_string();
            if over.is_empty() {
                return Some(inner);
            }
            let mut cols: Vec<Col> = keys().filter(|(n, _)| *n != over).collect();
            cols.push(("n".into(), true));
            for (c, numeric) in inner
                .iter()
                .filter(|(c, _)| !axes.iter().any(|a| a.name == c))
            {
                if *numeric {
                    cols.push((format!("{c}_mean"), true));
                    cols.push((format!("{c}_sd"), true));
                }
            }
            Some(cols)
        }
        Scope::Aggregate => None,
    }
}

/// Column and axis names given as parameters (`ParamKind::Name`), checked
/// against what the inputs hold: a table stage's names are sweep axes
/// (`mean_over`), a figure's are columns of its input table, numeric except
/// `series` (a legend may name any column). An empty name means none.
fn check_columns(
    src: &Source,
    entries: &[Entry],
    order: &[usize],
    bindings: &[Vec<Binding>],
    out: &[(StageDef, crate::params::Params)],
    axes: &[AxisDef],
) -> Result<(), SpecError> {
    let params = |i: usize| -> Option<crate::params::Params> {
        let pos = order.iter().position(|&o| o == i)?;
        Some(out[pos].1.clone())
    };
    for (pos, &i) in order.iter().enumerate() {
        let e = &entries[i];
        let p = &out[pos].1;
        let names: Vec<&'static str> = out[pos]
            .0
            .params
            .iter()
            .filter(|d| d.kind == crate::params::ParamKind::Name)
            .map(|d| d.key)
            .collect();
        for key in names {
            let value = p.str(key);
            if value.is_empty() {
                continue;
            }
            let at = crate::params::leaf_position(&params_of(e.table), key).unwrap_or(e.at);
            let full = format!("stages.{}.{key}", e.name);
            match e.kind.role {
                library::Role::Table => {
                    if !axes.iter().any(|a| a.name == value) {
                        let list: Vec<&str> = axes.iter().map(|a| a.name).collect();
                        return Err(src.error(
                            at,
                            &full,
                            format!(
                                "\"{value}\" is not a sweep axis of this pipeline; axes: {}",
                                list.join(", ")
                            ),
                        ));
                    }
                }
                _ => {
                    let Some(b) = bindings[i].first() else {
                        continue;
                    };
                    let Some(cols) = columns_of(b, entries, bindings, &params, axes) else {
                        continue;
                    };
                    let numeric = key != "series";
                    match cols.iter().find(|(c, _)| c == value) {
                        Some((_, true)) => {}
                        Some((_, false)) if !numeric => {}
                        found => {
                            let fits: Vec<&str> = cols
                                .iter()
                                .filter(|(_, n)| *n || !numeric)
                                .map(|(c, _)| c.as_str())
                                .collect();
                            let what = if found.is_some() {
                                "is not numeric"
                            } else {
                                "is not a column"
                            };
                            return Err(src.error(
                                at,
                                &full,
                                format!(
                                    "\"{value}\" {what} of `{}.{}`; {} columns: {}",
                                    b.stage,
                                    b.table,
                                    if numeric { "its numeric" } else { "its" },
                                    fits.join(", ")
                                ),
                            ));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The entry's table without the keys that are not parameters.
fn params_of(table: &Node) -> Node {
    let NodeKind::Table(fields) = &table.kind else {
        return table.clone();
    };
    Node {
        span: table.span.clone(),
        kind: NodeKind::Table(
            fields
                .iter()
                .filter(|(k, _, _)| !ENTRY_KEYS.contains(&k.as_str()))
                .cloned()
                .collect(),
        ),
    }
}

/// The candidate nearest `name` by edit distance, if it is near enough to
/// be a slip of the keyboard (at most 2 edits, and fewer than a third of
/// the name).
fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let distance = |a: &str, b: &str| -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut prev = row[0];
            row[0] = i + 1;
            for j in 0..b.len() {
                let cur = row[j + 1];
                row[j + 1] = (prev + usize::from(ca != b[j]))
                    .min(row[j] + 1)
                    .min(cur + 1);
                prev = cur;
            }
        }
        row[b.len()]
    };
    let limit = 2.min(name.chars().count().div_ceil(3));
    candidates
        .iter()
        .map(|c| (distance(name, c), *c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// A cycle among the stages not yet ordered, starting the walk at `start`.
fn find_cycle(start: usize, upstream: &[Vec<usize>], done: &[bool]) -> Vec<usize> {
    let mut path = vec![start];
    loop {
        let last = *path.last().expect("nonempty");
        let next = upstream[last]
            .iter()
            .copied()
            .find(|&u| !done[u])
            .expect("a stage left over reads another one left over");
        if let Some(k) = path.iter().position(|&p| p == next) {
            let mut c = path[k..].to_vec();
            c.push(next);
            return c;
        }
        path.push(next);
    }
}

#[cfg(test)]
mod tests {
    use crate::Pipeline;
    use crate::spec::{Source, SpecError};

    const HEAD: &str = "[pipeline]\nname = \"t\"\n";

    fn load(body: &str) -> Result<Pipeline, SpecError> {
        let src = Source {
            path: "t.toml".into(),
            text: format!("{HEAD}{body}"),
        };
        Pipeline::from_source(&src)
    }

    fn err(body: &str) -> SpecError {
        match load(body) {
            Ok(_) => panic!("accepted:\n{body}"),
            Err(e) => e,
        }
    }

    const RNN: &str =
        "[stages.sim]\nkind = \"rate-rnn\"\nn = 20\nduration_ms = 200.0\ntransient_ms = 0.0\n";

    #[test]
    fn a_valid_graph_orders_stages_and_binds_ports() {
        // declared out of order: the plot first
        let p = load(&format!(
            "[sweep]\ng = [0.5, 2.0]\n\
             [stages.plot]\nkind = \"line-plot\"\ninputs = [\"by_g.summary\"]\nx = \"g\"\ny = \"pr_mean\"\n\
             [stages.by_g]\nkind = \"collect\"\ninputs = [\"dim.dimensionality\"]\nmean_over = \"seed\"\n\
             [stages.dim]\nkind = \"dimensionality\"\ninputs = [\"sim.activity\"]\n{RNN}"
        ))
        .unwrap();
        let names: Vec<&str> = p.stages.iter().map(|(d, _)| d.name).collect();
        assert_eq!(names, ["sim", "dim", "by_g", "plot"]);
        let dim = &p.stages[1].0;
        assert_eq!(
            (
                dim.bindings[0].port,
                dim.bindings[0].stage,
                dim.bindings[0].table
            ),
            ("activity", "sim", "activity")
        );
        assert_eq!(p.stages[0].1.usize("n"), 20);
        // g from the file, seed from the kind's default
        assert_eq!(p.points().len(), 2);
        assert_eq!(p.points()[1].label(), "g=2.0 seed=0");
    }

    #[test]
    fn a_sweep_of_too_many_points_is_refused_at_load_without_making_them() {
        // 100 000 x 100 000 points would need 240 GB to plan
        let t = std::time::Instant::now();
        let e = err(&format!(
            "[sweep]\ng = {{ start = 0, stop = 99999 }}\nseed = {{ start = 0, stop = 99999 }}\n{RNN}"
        ));
        assert_eq!((e.line, e.key.as_str()), (3, "sweep"), "{e}");
        assert!(
            e.message
                .contains("more than 1000000 points (g: 100000 x seed: 100000)"),
            "{e}"
        );
        // the check is linear in the axes' lengths
        assert!(t.elapsed().as_secs_f64() < 5.0, "{:?}", t.elapsed());
        // just at the bound is accepted
        let p = load(&format!(
            "[sweep]\ng = {{ start = 1, stop = 1000 }}\nseed = {{ start = 0, stop = 999 }}\n{RNN}"
        ))
        .unwrap();
        assert_eq!(p.points().len(), crate::load::MAX_POINTS);
    }

    #[test]
    fn an_unknown_kind_names_the_line_and_the_kinds() {
        let e = err("[stages.sim]\nkind = \"rate_rnn\"\n");
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (4, 8, "stages.sim.kind")
        );
        assert!(
            e.message.contains(
                "unknown stage kind \"rate_rnn\"; did you mean \"rate-rnn\"? kinds: rate-rnn,"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_misspelt_kind_or_stage_gets_the_nearest_name() {
        let e = err("[stages.sim]\nkind = \"dimensionalty\"\n");
        assert!(
            e.message
                .contains("unknown stage kind \"dimensionalty\"; did you mean \"dimensionality\"?"),
            "{e}"
        );
        let e = err(&format!(
            "{RNN}[stages.dim]\nkind = \"dimensionality\"\ninputs = [\"sin.activity\"]\n"
        ));
        assert!(
            e.message
                .contains("no stage `sin` in this pipeline; did you mean `sim`?"),
            "{e}"
        );
        // nothing near: no guess
        let e = err("[stages.sim]\nkind = \"hodgkin-huxley\"\n");
        assert!(!e.message.contains("did you mean"), "{e}");
    }

    #[test]
    fn a_whole_stage_binds_every_port_its_tables_fit() {
        let p = load(
            "[stages.sim]\nkind = \"rate-rnn-twins\"\n\
             [stages.lyap]\nkind = \"lyapunov\"\ninputs = [\"sim\"]\n\
             [stages.tables]\nkind = \"lyapunov-tables\"\ninputs = [\"lyap\", \"sim\"]\n",
        )
        .unwrap();
        let bound = |stage: &str| -> Vec<String> {
            let (d, _) = p.stages.iter().find(|(d, _)| d.name == stage).unwrap();
            d.bindings
                .iter()
                .map(|b| format!("{}={}.{}", b.port, b.stage, b.table))
                .collect()
        };
        assert_eq!(
            bound("lyap"),
            [
                "distance=sim.distance",
                "tangent=sim.tangent",
                "ends=sim.ends"
            ]
        );
        // "tables" is a fine name for a stage across the sweep
        assert_eq!(
            bound("tables"),
            [
                "trials=lyap.trials",
                "notebook=lyap.notebook",
                "divergence=lyap.divergence",
                "ends=sim.ends"
            ]
        );
        // but not for one per sweep point, whose folder it would be
        let e = err("[stages.tables]\nkind = \"rate-rnn-twins\"\n");
        assert!(e.message.contains("not one of tables, figures"), "{e}");
    }

    #[test]
    fn two_stages_writing_one_file_across_the_sweep_is_an_error() {
        let body = "[stages.sim]\nkind = \"rate-rnn-twins\"\n\
             [stages.lyap]\nkind = \"lyapunov\"\ninputs = [\"sim\"]\n\
             [stages.t1]\nkind = \"lyapunov-tables\"\ninputs = [\"lyap\", \"sim\"]\n\
             [stages.t2]\nkind = \"lyapunov-tables\"\ninputs = [\"lyap\", \"sim\"]\n";
        let e = err(body);
        assert_eq!(e.key, "stages.t2");
        assert!(
            e.message
                .contains("stage `t1` writes tables/trials.parquet already"),
            "{e}"
        );
    }

    #[test]
    fn a_missing_input_lists_the_tables_that_fit() {
        let e = err(&format!("{RNN}[stages.dim]\nkind = \"dimensionality\"\n"));
        assert_eq!(e.key, "stages.dim.inputs");
        assert!(e.message.contains("missing input: kind dimensionality reads `activity`, a table of kind `activity`; tables that fit: \"sim.activity\""), "{e}");
    }

    #[test]
    fn an_input_of_the_wrong_kind_says_what_it_is_and_what_fits() {
        let e = err(&format!(
            "{RNN}[stages.av]\nkind = \"avalanches\"\ninputs = [\"sim.activity\"]\n"
        ));
        assert_eq!((e.line, e.key.as_str()), (10, "stages.av.inputs"));
        assert!(e.message.contains("`sim.activity` is a table of kind `activity`; kind avalanches reads: spikes (a table of kind `spikes`)"), "{e}");
    }

    #[test]
    fn unknown_stages_and_tables_are_named() {
        let e = err(&format!(
            "{RNN}[stages.dim]\nkind = \"dimensionality\"\ninputs = [\"simulate.activity\"]\n"
        ));
        assert!(
            e.message
                .contains("no stage `simulate` in this pipeline; stages: dim, sim"),
            "{e}"
        );
        let e = err(&format!(
            "{RNN}[stages.dim]\nkind = \"dimensionality\"\ninputs = [\"sim.rates\"]\n"
        ));
        assert!(
            e.message.contains(
                "stage `sim` (kind rate-rnn) writes no table `rates`; it writes: activity"
            ),
            "{e}"
        );
        // a whole stage binds the ports its tables fit, here none
        let e = err(&format!(
            "{RNN}[stages.pr]\nkind = \"dimensionality\"\ninputs = [\"sim\"]\n\
             [stages.fit]\nkind = \"powerlaw-fit\"\ninputs = [\"pr\"]\n"
        ));
        assert!(
            e.message.contains("no table of stage `pr` fits an unbound input of kind powerlaw-fit; `pr` (kind dimensionality) writes: dimensionality (`dimensionality`); kind powerlaw-fit reads: avalanches"),
            "{e}"
        );
    }

    #[test]
    fn a_cycle_is_reported_with_its_stages() {
        let e = err(
            "[stages.fit]\nkind = \"powerlaw-fit\"\ninputs = [\"av.avalanches\"]\n\
             [stages.av]\nkind = \"avalanches\"\ninputs = [\"fit.powerlaw_fit\"]\n",
        );
        // the walk starts at the first stage by name
        assert_eq!(
            (e.line, e.column, e.key.as_str()),
            (8, 1, "stages.av.inputs")
        );
        assert!(
            e.message
                .contains("the stages form a cycle: av <- fit <- av"),
            "{e}"
        );
        let e = err("[stages.av]\nkind = \"avalanches\"\ninputs = [\"av.avalanches\"]\n");
        assert!(e.message.contains("cycle: av <- av"), "{e}");
    }

    #[test]
    fn unknown_parameters_and_bad_values_name_the_kind() {
        let e = err("[stages.sim]\nkind = \"rate-rnn\"\ntau = 3\n");
        assert_eq!((e.line, e.key.as_str()), (5, "stages.sim.tau"));
        assert!(
            e.message.contains(
                "a stage of kind rate-rnn accepts: kind, inputs, scope, form, n, p, tau_ms"
            ),
            "{e}"
        );
        let e = err("[stages.sim]\nkind = \"rate-rnn\"\ndt_ms = 30.0\n");
        assert!(e.message.contains("above tau_ms"), "{e}");
        assert_eq!(e.key, "stages.sim.dt_ms");
        let e = err(&format!(
            "{RNN}[stages.dim]\nkind = \"dimensionality\"\ninputs = [\"sim.activity\"]\nscope = \"across-sweep\"\n"
        ));
        assert!(
            e.message
                .contains("kind dimensionality runs per-point, not across-sweep"),
            "{e}"
        );
        let e = err(&format!("{RNN}[sweep]\ncondition = [\"normal\"]\n"));
        assert!(
            e.message
                .contains("unknown sweep axis; this pipeline sweeps: g, seed"),
            "{e}"
        );
    }

    #[test]
    fn column_names_are_checked_against_the_input_table() {
        let body = |y: &str, over: &str| {
            format!(
                "[sweep]\ng = [0.5]\n{RNN}\
                 [stages.dim]\nkind = \"dimensionality\"\ninputs = [\"sim.activity\"]\n\
                 [stages.by_g]\nkind = \"collect\"\ninputs = [\"dim.dimensionality\"]\nmean_over = \"{over}\"\n\
                 [stages.plot]\nkind = \"line-plot\"\ninputs = [\"by_g.summary\"]\nx = \"g\"\ny = \"{y}\"\n"
            )
        };
        load(&body("pr_mean", "seed")).unwrap();
        load(&body("pr", "")).unwrap();
        let e = err(&body("pr", "seed"));
        assert_eq!(e.key, "stages.plot.y");
        assert!(e.message.contains("\"pr\" is not a column of `by_g.summary`; its numeric columns: g, n, nodes_mean, nodes_sd, samples_mean, samples_sd, pr_mean, pr_sd,"), "{e}");
        let e = err(&body("pr_mean", "session"));
        assert_eq!(e.key, "stages.by_g.mean_over");
        assert!(
            e.message
                .contains("\"session\" is not a sweep axis of this pipeline; axes: g, seed"),
            "{e}"
        );
    }

    #[test]
    fn a_former_study_says_where_its_stages_went() {
        let src = Source {
            path: "t.toml".into(),
            text: format!("[pipeline]\nname = \"t\"\nstudy = \"rnn-chaos\"\n{RNN}"),
        };
        let e = Pipeline::from_source(&src).unwrap_err();
        assert_eq!((e.line, e.key.as_str()), (3, "pipeline.study"));
        assert!(
            e.message.contains(
                "\"rnn-chaos\" is composed of library stages now: copy the [stages] of pipelines/rnn-chaos.toml"
            ),
            "{e}"
        );
        let src = Source {
            path: "t.toml".into(),
            text: "[pipeline]\nname = \"t\"\n[sweep]\ng = [1.0]\n".into(),
        };
        let e = Pipeline::from_source(&src).unwrap_err();
        assert_eq!(e.key, "stages");
        assert!(e.message.contains("missing: compose the study"), "{e}");
    }
}
