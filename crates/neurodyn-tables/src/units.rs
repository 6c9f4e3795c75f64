//! The units of a table across the sweep, for its `neurodyn.units`
//! metadata: a column keeps the unit of the per-point column it comes from
//! (`rate_e_hz_mean` and `_sd` that of `rate_e_hz`), else the unit its name
//! ends with (the project names columns with their units: `t_ms`).

use std::collections::BTreeMap;
use std::path::Path;

/// Suffixes of statistics over a column; the statistic has its unit.
const STATISTICS: &[&str] = &["_mean", "_sd", "_sem", "_median", "_min", "_max"];

/// Units that column names end with.
const NAME_UNITS: &[(&str, &str)] = &[
    ("_per_s", "1/s"),
    ("_ms", "ms"),
    ("_s", "s"),
    ("_hz", "Hz"),
    ("_deg", "deg"),
    ("_rad", "rad"),
    ("_mv", "mV"),
    ("_pa", "pA"),
    ("_ns", "nS"),
    ("_mm", "mm"),
    ("_steps", "step"),
];

/// The units of every per-point table of the pipeline whose output folder
/// is `pipeline_dir` (each table's first file's `neurodyn.units`), merged:
/// column name to unit. A column with two different units is left out.
pub fn per_point_units(pipeline_dir: &Path) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    let mut clash: Vec<String> = Vec::new();
    let dirs = |p: &Path| -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(p)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| {
                p.is_dir()
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(['_', '.']))
            })
            .collect();
        v.sort();
        v
    };
    for stage in dirs(pipeline_dir) {
        for table in dirs(&stage) {
            let Some(first) = first_parquet(&table) else {
                continue;
            };
            let Ok(kv) = neurodyn_io::read_key_value_metadata(&first) else {
                continue;
            };
            let Some(units) = kv
                .get(neurodyn_io::meta::KEY_UNITS)
                .and_then(|j| neurodyn_io::meta::parse_units(j).ok())
            else {
                continue;
            };
            for (c, u) in units {
                match out.get(&c) {
                    Some(v) if *v != u => clash.push(c),
                    _ => {
                        out.insert(c, u);
                    }
                }
            }
        }
    }
    for c in clash {
        out.remove(&c);
    }
    out
}

fn first_parquet(dir: &Path) -> Option<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            if let Some(f) = first_parquet(&p) {
                return Some(f);
            }
        } else if p.extension().is_some_and(|e| e == "parquet")
            && !p
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        {
            return Some(p);
        }
    }
    None
}

/// The unit of column `name` of a table across the sweep: as the per-point
/// column it comes from (`known`), or as its name says; None if neither.
pub fn unit_of(name: &str, known: &BTreeMap<String, String>) -> Option<String> {
    // `x_mean`, `x_sd`, and `x_mean_persisted` (a statistic over a subset)
    let base = STATISTICS
        .iter()
        .filter_map(|s| {
            let i = name.find(s)?;
            let rest = &name[i + s.len()..];
            (rest.is_empty() || rest.starts_with('_')).then(|| &name[..i])
        })
        .next()
        .unwrap_or(name);
    if let Some(u) = known.get(name).or_else(|| known.get(base)) {
        return Some(u.clone());
    }
    NAME_UNITS
        .iter()
        .find(|(suffix, _)| base.ends_with(suffix))
        .map(|(_, u)| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statistics_keep_their_columns_unit_and_names_give_theirs() {
        let known = BTreeMap::from([
            ("distance".to_string(), "state units".to_string()),
            ("t_ms".to_string(), "ms".to_string()),
        ]);
        assert_eq!(
            unit_of("distance_mean", &known).as_deref(),
            Some("state units")
        );
        assert_eq!(unit_of("t_ms", &known).as_deref(), Some("ms"));
        assert_eq!(unit_of("rate_e_hz_sd", &known).as_deref(), Some("Hz"));
        assert_eq!(
            unit_of("lambda_benettin_per_s_mean", &known).as_deref(),
            Some("1/s")
        );
        assert_eq!(unit_of("persistence_s", &known).as_deref(), Some("s"));
        assert_eq!(
            unit_of("angle_error_deg_mean_persisted", &known).as_deref(),
            Some("deg")
        );
        assert_eq!(unit_of("max_delay_steps", &known).as_deref(), Some("step"));
        assert_eq!(unit_of("n_seeds", &known), None);
        assert_eq!(unit_of("seed", &known), None);
    }
}
