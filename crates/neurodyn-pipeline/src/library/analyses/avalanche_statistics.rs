//! `avalanche-statistics`: the avalanches of a count series (runs of
//! non-empty bins after rebinning), power-law fits of their sizes and
//! durations (xmin by KS, bootstrap p-value, likelihood ratios), the
//! crackling relation, mean size by duration, and naive and multistep
//! regression branching ratios under binomial subsampling.

use std::path::Path;

use neurodyn_analysis::avalanche::{self, crackling_exponent, mean_size_by_duration};
use neurodyn_analysis::branching_ratio;
use neurodyn_analysis::powerlaw::{self, FitOptions, PowerLawReport};
use neurodyn_core::contracts::{
    BRANCHING_ESTIMATES, COUNT_AVALANCHES, COUNT_SERIES, CRACKLING, DRIVEN_SERIES, POWERLAW_REPORT,
    SIZE_BY_DURATION,
};
use neurodyn_core::{Column, ColumnType, Field, Recorder, Rng, Seed, TableSchema};
use rand_distr::{Binomial, Distribution};
use serde::Deserialize;

use crate::PipelineError;
use crate::library::models::branching_network::{self, point_seed};
use crate::library::{
    KindParams, LoadContext, LoadError, Output, Port, Role, StageKind, check_typed, no_axes,
    params_of, same_point,
};
use crate::params::{ParamDef, int, int_list};
use crate::study::{OutputFile, Scope, StageContext, files, recorder};
use crate::typed::input_params;

/// The kind.
pub const KIND: StageKind = StageKind {
    name: "avalanche-statistics",
    role: Role::Analysis,
    scope: Scope::PerPoint,
    doc: "avalanches of a count series, power-law fits of sizes and durations, crackling relation, branching ratios under subsampling",
    code_version: "1",
    params,
    axes: no_axes,
    inputs: &[
        Port {
            name: "activity",
            kind: Some(&COUNT_SERIES),
            doc: "the count series (its writer's poisson.max_size marks stopped avalanches)",
        },
        Port {
            name: "driven",
            kind: Some(&DRIVEN_SERIES),
            doc: "the stationary driven series, where recorded (branching ratios)",
        },
    ],
    outputs: &[
        Output::of("avalanches", &COUNT_AVALANCHES),
        Output::of("powerlaw", &POWERLAW_REPORT),
        Output::of("crackling", &CRACKLING),
        Output::of("size_by_duration", &SIZE_BY_DURATION),
        Output::of("branching_ratio", &BRANCHING_ESTIMATES),
    ],
    check: check_typed::<Params>,
    run,
    canonical: same_point,
    cost: None,
    check_at_load: Some(check_at_load),
};

fn params() -> Vec<ParamDef> {
    vec![
        int(
            "rebin",
            1,
            1_000_000,
            1,
            "avalanches in bins of this many time steps",
        ),
        int(
            "min_tail",
            2,
            i64::MAX,
            50,
            "power-law fits: smallest tail an xmin may leave",
        ),
        int(
            "xmin_max",
            0,
            i64::MAX,
            0,
            "power-law fits: largest xmin scanned (0: no bound)",
        ),
        int(
            "bootstrap",
            0,
            100_000,
            100,
            "power-law goodness of fit: synthetic data sets (0: no p-value)",
        ),
        int_list(
            "subsampling_percent",
            &[100, 10, 1],
            "branching ratio: percent of events observed (binomial thinning)",
        ),
        int(
            "mr_k_max",
            2,
            10_000,
            40,
            "multistep regression: largest lag (bins)",
        ),
        int(
            "crackling_t_min",
            1,
            i64::MAX,
            2,
            "crackling exponent: shortest duration fitted (bins)",
        ),
        int(
            "crackling_t_max",
            1,
            i64::MAX,
            1000,
            "crackling exponent: longest duration fitted (bins)",
        ),
        int(
            "crackling_min_count",
            1,
            i64::MAX,
            10,
            "crackling exponent: fewest avalanches of a duration",
        ),
    ]
}

/// Typed parameters.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub(crate) rebin: usize,
    pub(crate) min_tail: usize,
    pub(crate) xmin_max: usize,
    pub(crate) bootstrap: usize,
    pub(crate) subsampling_percent: Vec<u32>,
    pub(crate) mr_k_max: usize,
    pub(crate) crackling_t_min: usize,
    pub(crate) crackling_t_max: usize,
    pub(crate) crackling_min_count: usize,
}

impl KindParams for Params {
    fn check(&self) -> Result<(), (&'static str, String)> {
        if self.crackling_t_max < self.crackling_t_min {
            return Err(("crackling_t_max", "must be at least crackling_t_min".into()));
        }
        if self.subsampling_percent.iter().any(|&v| v == 0 || v > 100) {
            return Err(("subsampling_percent", "each value in 1..=100".into()));
        }
        Ok(())
    }
}
/// A point's activity series, bin by bin.
pub(crate) fn read_activity(path: &Path) -> Result<Vec<u64>, PipelineError> {
    let mut counts = Vec::new();
    neurodyn_io::for_each_batch(path, |t| {
        counts.extend(t.i64s("count")?.iter().map(|&c| c as u64));
        Ok(())
    })?;
    Ok(counts)
}

/// The power-law table's fields: the quantity's name, counts as int64, the
/// rest float64.
fn powerlaw_columns() -> Vec<Field> {
    neurodyn_tables::branching_avalanches::POWERLAW_COLUMNS
        .iter()
        .map(|&name| {
            let ty = match name {
                "quantity" => ColumnType::Str,
                "n" | "xmin" | "n_tail" => ColumnType::I64,
                _ => ColumnType::F64,
            };
            Field::new(name, ty, None)
        })
        .collect()
}

/// At load: the avalanches of a branching-network run, their fits and
/// CCDFs fit in memory. Measured: about 470 bytes per avalanche (Poisson
/// model at sigma = 1: 75 MB at 1e5 avalanches, 495 MB at 1e6); the
/// estimate takes 500 per avalanche, pulse or recorded step.
fn check_at_load(ctx: &LoadContext) -> Result<(), LoadError> {
    let Some((stage, sim)) = ctx.input::<branching_network::Params>("activity") else {
        return Ok(());
    };
    let models: Vec<_> = ctx.axis_values("model");
    let mut worst = (0.0, String::new());
    for (m, _) in &models {
        let (n, key) = match m.as_choice() {
            "poisson" => (sim.poisson_avalanches, "poisson.avalanches"),
            "layered" => (sim.layered_pulses, "layered.pulses"),
            _ => (sim.random_graph_steps, "random_graph.steps"),
        };
        if n as f64 > worst.0 {
            worst = (n as f64, key.to_string());
        }
    }
    ctx.fits_memory(
        500.0 * worst.0,
        "",
        &format!("the avalanches of {} = {} of `{stage}`", worst.1, worst.0),
        &format!("make {stage}.{} smaller", worst.1),
    )
}

fn run(ctx: &StageContext) -> Result<Vec<OutputFile>, PipelineError> {
    let point = ctx.point.as_ref().expect("PerPoint");
    let model = point.get("model").as_choice();
    let p: Params = params_of(ctx)?;
    let raw = read_activity(&ctx.input_path("activity"))?;
    let counts = avalanche::rebin(&raw, p.rebin);
    let av = avalanche::segment(&counts);
    // Only the driven process stops avalanches; its stopped ones are marked.
    let cap = match model {
        "poisson" => {
            input_params::<branching_network::Params>(ctx, "activity")?.poisson_max_size as u64
        }
        _ => u64::MAX,
    };
    let seed = point_seed(ctx, "analyse");
    let mut rec = recorder(ctx, seed.short())?;

    let t = rec.declare(TableSchema::new(
        "avalanches",
        vec![
            Field::new("start_bin", ColumnType::I64, None),
            Field::new("size", ColumnType::I64, None),
            Field::new("duration", ColumnType::I64, Some("bins")),
            Field::new("truncated", ColumnType::Bool, None),
        ],
    ))?;
    for chunk in av.chunks(1 << 16) {
        rec.append(
            t,
            &[
                Column::I64(&chunk.iter().map(|a| a.start as i64).collect::<Vec<_>>()),
                Column::I64(&chunk.iter().map(|a| a.size as i64).collect::<Vec<_>>()),
                Column::I64(&chunk.iter().map(|a| a.duration as i64).collect::<Vec<_>>()),
                Column::Bool(&chunk.iter().map(|a| a.size >= cap).collect::<Vec<_>>()),
            ],
        )?;
    }

    // Power laws of the complete avalanches' sizes and durations.
    let complete: Vec<_> = av.iter().filter(|a| a.size < cap).collect();
    let sizes: Vec<u64> = complete.iter().map(|a| a.size).collect();
    let durations: Vec<u64> = complete.iter().map(|a| a.duration).collect();
    let opts = |quantity: &str| FitOptions {
        min_tail: p.min_tail,
        xmin_max: match p.xmin_max {
            0 => None,
            m => Some(m as u64),
        },
        bootstrap: p.bootstrap,
        seed: Seed::derive(seed.short(), quantity, &[]).short(),
    };
    let t = rec.declare(TableSchema::new("powerlaw", powerlaw_columns()))?;
    let mut fits: Vec<(&str, Option<PowerLawReport>)> = Vec::new();
    for (quantity, x) in [("size", &sizes), ("duration", &durations)] {
        let r = powerlaw::analyse(x, &opts(quantity));
        fits.push((quantity, r));
        if let Some(r) = r {
            let f = r.fit;
            rec.append(
                t,
                &[
                    Column::Str(&[quantity]),
                    Column::I64(&[r.n as i64]),
                    Column::F64(&[f.alpha]),
                    Column::F64(&[f.alpha_se]),
                    Column::I64(&[f.xmin as i64]),
                    Column::I64(&[f.n_tail as i64]),
                    Column::F64(&[f.ks]),
                    Column::F64(&[r.p_value.unwrap_or(f64::NAN)]),
                    Column::F64(&[r.vs_exponential.ratio]),
                    Column::F64(&[r.vs_exponential.p_value]),
                    Column::F64(&[r.vs_lognormal.ratio]),
                    Column::F64(&[r.vs_lognormal.p_value]),
                    Column::F64(&[r.vs_truncated.ratio]),
                    Column::F64(&[r.vs_truncated.p_value]),
                ],
            )?;
        }
    }

    // Crackling: fitted ⟨S⟩(T) exponent against (α_T − 1)/(α_S − 1).
    let alpha = |q: &str| {
        fits.iter()
            .find(|f| f.0 == q)
            .and_then(|f| f.1)
            .map_or(f64::NAN, |r| r.fit.alpha)
    };
    let gamma = crackling_exponent(
        &sizes,
        &durations,
        p.crackling_t_min as u64,
        p.crackling_t_max as u64,
        p.crackling_min_count as u64,
    )
    .unwrap_or(f64::NAN);
    let t = rec.declare(TableSchema::new(
        "crackling",
        vec![
            Field::new("gamma_fit", ColumnType::F64, None),
            Field::new("gamma_predicted", ColumnType::F64, None),
            Field::new("avalanches", ColumnType::I64, None),
        ],
    ))?;
    rec.append(
        t,
        &[
            Column::F64(&[gamma]),
            Column::F64(&[(alpha("duration") - 1.0) / (alpha("size") - 1.0)]),
            Column::I64(&[complete.len() as i64]),
        ],
    )?;
    let by_t = mean_size_by_duration(&sizes, &durations);
    let t = rec.declare(TableSchema::new(
        "size_by_duration",
        vec![
            Field::new("duration", ColumnType::I64, Some("bins")),
            Field::new("mean_size", ColumnType::F64, None),
            Field::new("count", ColumnType::I64, None),
        ],
    ))?;
    rec.append(
        t,
        &[
            Column::I64(&by_t.iter().map(|b| b.0 as i64).collect::<Vec<_>>()),
            Column::F64(&by_t.iter().map(|b| b.1).collect::<Vec<_>>()),
            Column::I64(&by_t.iter().map(|b| b.2 as i64).collect::<Vec<_>>()),
        ],
    )?;

    // Branching ratio of the (rebinned) activity, and of the driven process
    // where there is one, observed through binomial thinning.
    let t = rec.declare(TableSchema::new(
        "branching_ratio",
        vec![
            Field::new("series", ColumnType::Str, None),
            Field::new("subsampling", ColumnType::F64, None),
            Field::new("m_naive", ColumnType::F64, None),
            Field::new("m_mr", ColumnType::F64, None),
            Field::new("b_mr", ColumnType::F64, None),
        ],
    ))?;
    let driven_file = ctx.input_path("driven");
    let driven = if driven_file.is_file() {
        Some(avalanche::rebin(&read_activity(&driven_file)?, p.rebin))
    } else {
        None
    };
    let mut series: Vec<(&str, &[u64])> = vec![("activity", &counts)];
    if let Some(d) = &driven {
        series.push(("driven", d));
    }
    for (name, x) in series {
        for pct in p.subsampling_percent.clone() {
            let frac = pct as f64 / 100.0;
            let mut rng: Rng = seed.child(&format!("subsample/{name}"), pct as u64).rng();
            let a: Vec<f64> = x
                .iter()
                .map(|&c| {
                    if pct == 100 || c == 0 {
                        c as f64
                    } else {
                        Binomial::new(c, frac).expect("0 < p <= 1").sample(&mut rng) as f64
                    }
                })
                .collect();
            let mr = branching_ratio::multistep(&a, p.mr_k_max, 2.0);
            rec.append(
                t,
                &[
                    Column::Str(&[name]),
                    Column::F64(&[frac]),
                    Column::F64(&[branching_ratio::naive(&a)]),
                    Column::F64(&[mr.map_or(f64::NAN, |m| m.m)]),
                    Column::F64(&[mr.map_or(f64::NAN, |m| m.b)]),
                ],
            )?;
        }
    }
    rec.finish()?;
    Ok(files(ctx, &rec))
}
