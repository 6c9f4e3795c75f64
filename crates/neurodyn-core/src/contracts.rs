//! Table contracts: the typed table kinds that stages share.
//!
//! A stage that writes a table of kind [`SPIKES`] writes exactly its columns,
//! so any stage that reads spikes (avalanches, branching ratios) applies to
//! it, whichever model produced it. The schemas are constants; `docs/tables.md`
//! lists them and a test checks the list against these constants.

use crate::record::{ColumnType, Field, TableSchema};

/// One column of a table kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ColumnSpec {
    /// Column name (units in the name where they apply).
    pub name: &'static str,
    /// Element type.
    pub ty: ColumnType,
    /// Physical unit, written to the file's `neurodyn.units`.
    pub unit: Option<&'static str>,
    /// One line of documentation.
    pub doc: &'static str,
}

/// A table kind: a name, its fixed columns, and what its metadata carries.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TableKind {
    /// Kind name (`spikes`), as stage inputs and `neurodyn stages` name it.
    pub name: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
    /// Columns in order; empty for kinds whose columns vary ([`SUMMARY`],
    /// [`STUDY`]).
    pub columns: &'static [ColumnSpec],
    /// Keys of the writing stage's parameters (`neurodyn.params`) that
    /// readers rely on, such as the time step of a spikes table.
    pub params: &'static [&'static str],
}

impl TableKind {
    /// The schema of a table of this kind called `table`.
    pub fn schema(&self, table: &str) -> TableSchema {
        TableSchema::new(
            table,
            self.columns
                .iter()
                .map(|c| Field::new(c.name, c.ty, c.unit))
                .collect(),
        )
    }

    /// Whether the kind fixes its columns.
    pub fn is_fixed(&self) -> bool {
        !self.columns.is_empty()
    }
}

/// A column of a table kind.
pub const fn col(
    name: &'static str,
    ty: ColumnType,
    unit: Option<&'static str>,
    doc: &'static str,
) -> ColumnSpec {
    ColumnSpec {
        name,
        ty,
        unit,
        doc,
    }
}

/// Spike events of a network, one row per spike, in time order.
pub const SPIKES: TableKind = TableKind {
    name: "spikes",
    doc: "spike events, one row per spike, in time order",
    columns: &[
        col(
            "step",
            ColumnType::U32,
            Some("step"),
            "time step of the spike (t = step * dt_ms)",
        ),
        col("neuron", ColumnType::U32, None, "index of the neuron"),
    ],
    params: &["dt_ms"],
};

/// Sampled activity of the nodes of a network, long format.
pub const ACTIVITY: TableKind = TableKind {
    name: "activity",
    doc: "sampled activity of each node (a brain region or a unit of a network), long format, rows by time then node",
    columns: &[
        col("t_ms", ColumnType::F64, Some("ms"), "time of the sample"),
        col(
            "region",
            ColumnType::U32,
            None,
            "index of the node (a region of a connectome, or a unit)",
        ),
        col("label", ColumnType::Str, None, "name of the node"),
        col(
            "variable",
            ColumnType::Str,
            None,
            "the state variable sampled",
        ),
        col("value", ColumnType::F64, None, "its value"),
    ],
    params: &[],
};

/// Neuronal avalanches: runs of non-empty time bins between empty ones.
pub const AVALANCHES: TableKind = TableKind {
    name: "avalanches",
    doc: "avalanches: maximal runs of non-empty time bins, one row each, in time order",
    columns: &[
        col("size", ColumnType::I64, None, "events in the avalanche"),
        col(
            "duration",
            ColumnType::I64,
            Some("bins"),
            "its length in bins",
        ),
        col(
            "start_ms",
            ColumnType::F64,
            Some("ms"),
            "time of its first bin",
        ),
    ],
    params: &["bin_ms"],
};

/// Discrete power-law fits of avalanche sizes and durations.
pub const POWERLAW_FIT: TableKind = TableKind {
    name: "powerlaw_fit",
    doc: "discrete power-law fits (MLE, xmin by the KS distance), one row per quantity",
    columns: &[
        col(
            "quantity",
            ColumnType::Str,
            None,
            "size or duration of the avalanches",
        ),
        col("n", ColumnType::I64, None, "avalanches"),
        col(
            "alpha",
            ColumnType::F64,
            None,
            "exponent of P(x) ~ x^-alpha (NaN: too few)",
        ),
        col("xmin", ColumnType::I64, None, "start of the fitted tail"),
        col("n_tail", ColumnType::I64, None, "samples >= xmin"),
        col(
            "ks",
            ColumnType::F64,
            None,
            "KS distance of the tail to the fit",
        ),
    ],
    params: &[],
};

/// Branching-ratio estimates from binned population activity.
pub const BRANCHING_RATIO: TableKind = TableKind {
    name: "branching_ratio",
    doc: "branching ratio of the binned population activity: naive and multistep regression (Wilting & Priesemann 2018)",
    columns: &[
        col("bin_ms", ColumnType::F64, Some("ms"), "bin width"),
        col("bins", ColumnType::I64, None, "bins in the series"),
        col(
            "mean_events_per_bin",
            ColumnType::F64,
            None,
            "mean events per bin",
        ),
        col(
            "m_naive",
            ColumnType::F64,
            None,
            "slope of A(t+1) on A(t) (biased under subsampling)",
        ),
        col(
            "m_multistep",
            ColumnType::F64,
            None,
            "multistep regression estimate (NaN when its fit fails)",
        ),
        col(
            "tau_ms",
            ColumnType::F64,
            Some("ms"),
            "autocorrelation time -bin_ms / ln m_multistep",
        ),
    ],
    params: &[],
};

/// Dimensionality and mean correlation of a network's activity.
pub const DIMENSIONALITY: TableKind = TableKind {
    name: "dimensionality",
    doc: "participation ratio of the activity's covariance, its bias-corrected estimate, and the mean pairwise correlation",
    columns: &[
        col("nodes", ColumnType::I64, None, "nodes in the activity"),
        col("samples", ColumnType::I64, None, "time samples used"),
        col(
            "pr",
            ColumnType::F64,
            None,
            "participation ratio (sum lambda)^2 / sum lambda^2",
        ),
        col(
            "pr_bias_corrected",
            ColumnType::F64,
            None,
            "its estimator corrected for the finite number of samples",
        ),
        col(
            "mean_fc",
            ColumnType::F64,
            None,
            "mean Pearson correlation over node pairs",
        ),
        col(
            "constant_nodes",
            ColumnType::I64,
            None,
            "nodes with zero variance (left out of mean_fc)",
        ),
    ],
    params: &[],
};

/// Functional connectivity: the Pearson correlation of every node pair.
pub const FC: TableKind = TableKind {
    name: "fc",
    doc: "functional connectivity: Pearson correlation of each pair of nodes (i < j)",
    columns: &[
        col("i", ColumnType::U32, None, "first node"),
        col("j", ColumnType::U32, None, "second node"),
        col("fc", ColumnType::F64, None, "Pearson correlation"),
    ],
    params: &[],
};

/// Summary of a functional-connectivity analysis.
pub const FC_SUMMARY: TableKind = TableKind {
    name: "fc_summary",
    doc: "FC and FCD summary of one run",
    columns: &[
        col("nodes", ColumnType::I64, None, "nodes"),
        col("mean_fc", ColumnType::F64, None, "mean FC over pairs"),
        col(
            "sd_fc",
            ColumnType::F64,
            None,
            "standard deviation of FC over pairs",
        ),
        col(
            "fcd_windows",
            ColumnType::I64,
            None,
            "sliding windows of the FCD (0: FCD off)",
        ),
        col(
            "fcd_mean",
            ColumnType::F64,
            None,
            "mean FCD entry between distinct windows (NaN when off)",
        ),
        col(
            "fcd_sd",
            ColumnType::F64,
            None,
            "standard deviation of those entries (NaN when off)",
        ),
    ],
    params: &[],
};

/// Power spectra of each node's activity.
pub const SPECTRA: TableKind = TableKind {
    name: "spectra",
    doc: "Welch power spectral density of each node's activity (mean removed, Hann windows)",
    columns: &[
        col("region", ColumnType::U32, None, "node"),
        col("frequency_hz", ColumnType::F64, Some("Hz"), "frequency"),
        col(
            "power",
            ColumnType::F64,
            None,
            "power spectral density (signal units^2 / Hz)",
        ),
    ],
    params: &[],
};

/// The dominant frequency of each node.
pub const PEAKS: TableKind = TableKind {
    name: "peaks",
    doc: "dominant (peak) frequency of each node's spectrum, DC excluded",
    columns: &[
        col("region", ColumnType::U32, None, "node"),
        col("label", ColumnType::Str, None, "name of the node"),
        col(
            "peak_hz",
            ColumnType::F64,
            Some("Hz"),
            "frequency of the largest PSD bin above 0 Hz",
        ),
        col("peak_power", ColumnType::F64, None, "the PSD there"),
    ],
    params: &[],
};

/// Recorded activity of a twin run (rate-rnn-twins).
pub const TWIN_ACTIVITY: TableKind = TableKind {
    name: "twin_activity",
    doc: "recorded units and trials of a twin run: trial, step, neuron, then r and/or r_twin as recorded (columns vary)",
    columns: &[],
    params: &["dt_ms", "record.variables"],
};

/// Distance between each trial's trajectory and its twin, every step.
pub const TWIN_DISTANCE: TableKind = TableKind {
    name: "twin_distance",
    doc: "Euclidean distance between a trajectory and its twin, per trial and step",
    columns: &[
        col("trial", ColumnType::U32, None, "trial index"),
        col(
            "step",
            ColumnType::U32,
            Some("step"),
            "Euler step (t = step * dt_ms)",
        ),
        col("distance", ColumnType::F64, None, "|r(t) - r_twin(t)|"),
    ],
    params: &["dt_ms", "steps"],
};

/// Log stretch of a Benettin tangent vector, every step.
pub const TANGENT_STRETCH: TableKind = TableKind {
    name: "tangent_stretch",
    doc: "log growth of the renormalised tangent vector over each step (Benettin)",
    columns: &[
        col("trial", ColumnType::U32, None, "trial index"),
        col("step", ColumnType::U32, Some("step"), "Euler step"),
        col(
            "log_stretch",
            ColumnType::F64,
            Some("1/step"),
            "ln of the tangent's growth over the step",
        ),
    ],
    params: &["dt_ms"],
};

/// Twin distance at the first and last step of each trial.
pub const TWIN_ENDS: TableKind = TableKind {
    name: "twin_ends",
    doc: "twin distance at the first and last step of each trial",
    columns: &[
        col("trial", ColumnType::U32, None, "trial index"),
        col(
            "initial_distance",
            ColumnType::F64,
            None,
            "distance at step 0",
        ),
        col(
            "final_distance",
            ColumnType::F64,
            None,
            "distance at the last step",
        ),
    ],
    params: &["dt_ms"],
};

/// Largest Lyapunov exponent per trial (Benettin).
pub const LYAPUNOV_TRIALS: TableKind = TableKind {
    name: "lyapunov_trials",
    doc: "per trial: final twin distance, Benettin exponent (NaN without a tangent), whether the twins diverged",
    columns: &[
        col("trial", ColumnType::U32, None, "trial index"),
        col(
            "final_distance",
            ColumnType::F64,
            None,
            "twin distance at the last step",
        ),
        col(
            "lambda_benettin_per_s",
            ColumnType::F64,
            Some("1/s"),
            "mean log stretch after the transient",
        ),
        col(
            "diverged",
            ColumnType::Bool,
            None,
            "final distance >= min_final_distance",
        ),
    ],
    params: &[],
};

/// The notebook estimator of one network: one row.
pub const LYAPUNOV_NOTEBOOK: TableKind = TableKind {
    name: "lyapunov_notebook",
    doc: "the reference notebook's exponent of one network: a line fitted to ln(mean distance) of the diverging trials",
    columns: &[
        col(
            "lambda_notebook_per_s",
            ColumnType::F64,
            Some("1/s"),
            "fitted slope (NaN: no trial diverged)",
        ),
        col("n_diverging", ColumnType::U32, None, "diverging trials"),
        col("cut_step", ColumnType::U32, None, "last step of the fit"),
    ],
    params: &[],
};

/// Decimated sums of ln distance over the trials of one network.
pub const DIVERGENCE_SUMS: TableKind = TableKind {
    name: "divergence_sums",
    doc: "sums of ln twin distance and its square over the trials, every k steps (pooled across the sweep into mean and sd)",
    columns: &[
        col("step", ColumnType::U32, Some("step"), "Euler step"),
        col("n", ColumnType::U32, None, "trials summed"),
        col(
            "ln_distance_sum",
            ColumnType::F64,
            None,
            "sum of ln distance",
        ),
        col(
            "ln_distance_sq_sum",
            ColumnType::F64,
            None,
            "sum of (ln distance)^2",
        ),
    ],
    params: &[],
};

/// Lyapunov exponents against g, across the sweep.
pub const LYAPUNOV_SUMMARY: TableKind = TableKind {
    name: "lyapunov_summary",
    doc: "Lyapunov exponents per value of g across the sweep (columns: docs/tables.md, rnn-chaos summary)",
    columns: &[],
    params: &[],
};

/// Mean divergence curves per g, across the sweep.
pub const DIVERGENCE_CURVES: TableKind = TableKind {
    name: "divergence_curves",
    doc: "mean and sd of ln twin distance against time per value of g (columns: docs/tables.md, rnn-chaos divergence)",
    columns: &[],
    params: &[],
};

/// Network run of a neural-mass network.
pub const NETWORK_RUN: TableKind = TableKind {
    name: "network_run",
    doc: "one row per run: the recorded signal, regions, connections, delay-line sizes and steps (columns: docs/tables.md, whole-brain)",
    columns: &[],
    params: &["connectome", "period_ms", "bold.write", "bold.period_ms"],
};

/// BOLD signal per region.
pub const BOLD: TableKind = TableKind {
    name: "bold",
    doc: "Balloon-Windkessel BOLD signal per region, long format: t_ms, region, label, value (columns: docs/tables.md, whole-brain)",
    columns: &[],
    params: &[],
};

/// Pearson FC of every ordered pair.
pub const FC_PAIRS: TableKind = TableKind {
    name: "fc_pairs",
    doc: "Pearson FC of every ordered pair of regions: i, j, r (columns: docs/tables.md, whole-brain)",
    columns: &[],
    params: &[],
};

/// Fit of a run's FC to a target FC.
pub const FC_FIT: TableKind = TableKind {
    name: "fc_fit",
    doc: "the run's FC against a target FC: signal, n_samples, fc_similarity, mean_fc (columns: docs/tables.md, whole-brain)",
    columns: &[],
    params: &["target"],
};

/// Dominant frequency per region.
pub const DOMINANT_FREQUENCY: TableKind = TableKind {
    name: "dominant_frequency",
    doc: "Welch dominant frequency per region: region, label, dominant_hz (columns: docs/tables.md, whole-brain)",
    columns: &[],
    params: &[],
};

/// FCD matrix of a run.
pub const FCD_MATRIX: TableKind = TableKind {
    name: "fcd_matrix",
    doc: "correlation of the FCs of sliding windows: window_i, window_j, r (columns: docs/tables.md, whole-brain)",
    columns: &[],
    params: &[],
};

/// Activity across the sweep.
pub const ACTIVITY_SWEEP: TableKind = TableKind {
    name: "activity_sweep",
    doc: "every sweep point's activity in one table, keys first (columns: docs/tables.md, whole-brain activity)",
    columns: &[],
    params: &[],
};

/// FC across the sweep.
pub const FC_SWEEP: TableKind = TableKind {
    name: "fc_sweep",
    doc: "every sweep point's FC pairs in one table, keys first (columns: docs/tables.md, whole-brain fc)",
    columns: &[],
    params: &[],
};

/// FC fit over the sweep.
pub const FIT_LANDSCAPE: TableKind = TableKind {
    name: "fit_landscape",
    doc: "FC similarity to the target, mean, sd and count over seeds per model, k and speed (columns: docs/tables.md, whole-brain fit_summary)",
    columns: &[],
    params: &[],
};

/// Events per time bin.
pub const COUNT_SERIES: TableKind = TableKind {
    name: "count_series",
    doc: "a network's active units (events) per time bin: step, count (columns: docs/tables.md, branching-avalanches activity)",
    columns: &[],
    params: &["poisson.max_size"],
};

/// A stationary driven series.
pub const DRIVEN_SERIES: TableKind = TableKind {
    name: "driven_series",
    doc: "a stationary driven process's events per bin, for branching-ratio estimators: step, count (columns: docs/tables.md, branching-avalanches)",
    columns: &[],
    params: &[],
};

/// Active cells of a layered network.
pub const LAYERED_CELLS: TableKind = TableKind {
    name: "layered_cells",
    doc: "active cells of a layered network's animation run: step, layer, neuron (columns: docs/tables.md, branching-avalanches)",
    columns: &[],
    params: &[
        "layered.layers",
        "layered.neurons",
        "layered.animation_steps",
    ],
};

/// Avalanches of a count series.
pub const COUNT_AVALANCHES: TableKind = TableKind {
    name: "count_avalanches",
    doc: "avalanches of a count series: start_bin, size, duration, truncated (columns: docs/tables.md, branching-avalanches)",
    columns: &[],
    params: &[],
};

/// Power-law fits of sizes and durations.
pub const POWERLAW_REPORT: TableKind = TableKind {
    name: "powerlaw_report",
    doc: "power-law fits of avalanche sizes and durations with goodness of fit and alternatives (columns: docs/tables.md, branching-avalanches)",
    columns: &[],
    params: &[],
};

/// The crackling relation.
pub const CRACKLING: TableKind = TableKind {
    name: "crackling",
    doc: "fitted and predicted exponent of mean size by duration (columns: docs/tables.md, branching-avalanches)",
    columns: &[],
    params: &[],
};

/// Mean size by duration.
pub const SIZE_BY_DURATION: TableKind = TableKind {
    name: "size_by_duration",
    doc: "mean avalanche size per duration: duration, mean_size, count (columns: docs/tables.md, branching-avalanches)",
    columns: &[],
    params: &[],
};

/// Branching ratios under subsampling.
pub const BRANCHING_ESTIMATES: TableKind = TableKind {
    name: "branching_estimates",
    doc: "naive and multistep-regression branching ratios per series and subsampling (columns: docs/tables.md, branching-avalanches)",
    columns: &[],
    params: &[],
};

/// Avalanches across the sweep.
pub const AVALANCHES_SWEEP: TableKind = TableKind {
    name: "avalanches_sweep",
    doc: "every sweep point's avalanches, keys first (columns: docs/tables.md, branching-avalanches tables/avalanches)",
    columns: &[],
    params: &[],
};

/// Power-law fits across the sweep.
pub const POWERLAW_SWEEP: TableKind = TableKind {
    name: "powerlaw_sweep",
    doc: "every sweep point's power-law fits, keys first (columns: docs/tables.md, branching-avalanches tables/powerlaw)",
    columns: &[],
    params: &[],
};

/// Mean size by duration across the sweep.
pub const SIZE_BY_DURATION_SWEEP: TableKind = TableKind {
    name: "size_by_duration_sweep",
    doc: "every sweep point's mean size by duration, keys first (columns: docs/tables.md, branching-avalanches)",
    columns: &[],
    params: &[],
};

/// Recorded activity of a FORCE network.
pub const FORCE_ACTIVITY: TableKind = TableKind {
    name: "force_activity",
    doc: "recorded filtered rates and inputs of a FORCE network per loop and step (columns vary with record.variables; docs/tables.md, force-motifs)",
    columns: &[],
    params: &["n", "record.variables"],
};

/// Spikes of a FORCE network.
pub const FORCE_SPIKES: TableKind = TableKind {
    name: "force_spikes",
    doc: "spikes of a FORCE network: loop, step, neuron (columns: docs/tables.md, force-motifs)",
    columns: &[],
    params: &["dt_tau", "tau_m_ms"],
};

/// Currents of chosen FORCE units.
pub const FORCE_CURRENTS: TableKind = TableKind {
    name: "force_currents",
    doc: "synaptic currents of chosen units and loops (columns: docs/tables.md, force-motifs)",
    columns: &[],
    params: &[],
};

/// Readout and targets of a FORCE network.
pub const FORCE_READOUT: TableKind = TableKind {
    name: "force_readout",
    doc: "readout and target of chosen outputs per loop and step (columns: docs/tables.md, force-motifs)",
    columns: &[],
    params: &["loops", "dt_tau", "tau_m_ms"],
};

/// Recorded weight matrices.
pub const FORCE_WEIGHTS: TableKind = TableKind {
    name: "force_weights",
    doc: "recorded weight matrices, one per loop: loop, post, pre, w (columns: docs/tables.md, force-motifs)",
    columns: &[],
    params: &["n", "record.variables"],
};

/// Training statistics per loop.
pub const FORCE_LOOPS: TableKind = TableKind {
    name: "force_loops",
    doc: "per loop: trained, mse, correlation, spikes, rate and weight change (columns: docs/tables.md, force-motifs)",
    columns: &[],
    params: &[],
};

/// The targets.
pub const FORCE_TARGETS: TableKind = TableKind {
    name: "force_targets",
    doc: "the target signals (columns: docs/tables.md, force-motifs)",
    columns: &[],
    params: &[],
};

/// Motifs per recorded weight matrix.
pub const WEIGHT_MOTIFS: TableKind = TableKind {
    name: "weight_motifs",
    doc: "second-order motif statistics of each recorded weight matrix (columns: docs/tables.md, force-motifs)",
    columns: &[],
    params: &[],
};

/// Dimensionality per loop.
pub const LOOP_DIMENSIONALITY: TableKind = TableKind {
    name: "loop_dimensionality",
    doc: "PR and bias-corrected PR of each loop's activity (columns: docs/tables.md, force-motifs)",
    columns: &[],
    params: &[],
};

/// Motifs across the sweep.
pub const MOTIFS_SWEEP: TableKind = TableKind {
    name: "motifs_sweep",
    doc: "every point's motifs, keys first (columns: docs/tables.md, force-motifs tables/motifs)",
    columns: &[],
    params: &[],
};

/// Dimensionality across the sweep.
pub const DIMENSIONALITY_SWEEP: TableKind = TableKind {
    name: "dimensionality_sweep",
    doc: "every point's dimensionality per loop, keys first (columns: docs/tables.md, force-motifs)",
    columns: &[],
    params: &[],
};

/// Training statistics across the sweep.
pub const TRAINING_SWEEP: TableKind = TableKind {
    name: "training_sweep",
    doc: "every point's training statistics per loop, keys first (columns: docs/tables.md, force-motifs tables/training)",
    columns: &[],
    params: &[],
};

/// Decimated traces of a ring network.
pub const RING_TRACES: TableKind = TableKind {
    name: "ring_traces",
    doc: "decimated traces of a ring network's recorded neurons (columns: docs/tables.md, ring-attractor)",
    columns: &[],
    params: &[
        "n_e",
        "n_i",
        "dt_ms",
        "duration_s",
        "stimulus_deg",
        "stimulus_on_s",
        "stimulus_off_s",
    ],
};

/// Population rates of a ring.
pub const POPULATION_RATES: TableKind = TableKind {
    name: "population_rates",
    doc: "E and I population rates per time bin: t_s, rate_e_hz, rate_i_hz (columns: docs/tables.md, ring-attractor)",
    columns: &[],
    params: &[],
};

/// The bump's angle over time.
pub const BUMP_TRACK: TableKind = TableKind {
    name: "bump_track",
    doc: "population-vector angle and strength of the E activity per bin (columns: docs/tables.md, ring-attractor)",
    columns: &[],
    params: &[],
};

/// Persistence of a bump.
pub const PERSISTENCE: TableKind = TableKind {
    name: "persistence",
    doc: "how long the bump persisted after the stimulus, why it ended, the angle error (columns: docs/tables.md, ring-attractor)",
    columns: &[],
    params: &[],
};

/// f-I curves.
pub const FI_CURVES: TableKind = TableKind {
    name: "fi_curves",
    doc: "f-I curves of each cell type of each parameter set (columns: docs/tables.md, ring-attractor)",
    columns: &[],
    params: &[],
};

/// Persistence across the sweep.
pub const PERSISTENCE_SWEEP: TableKind = TableKind {
    name: "persistence_sweep",
    doc: "every run's persistence, keys first (columns: docs/tables.md, ring-attractor tables/persistence)",
    columns: &[],
    params: &[],
};

/// A table across the sweep: the sweep keys, then the collected columns.
pub const SUMMARY: TableKind = TableKind {
    name: "summary",
    doc: "one table across the sweep: a column per sweep key, then the collected table's columns (or their mean, sd and count over an axis)",
    columns: &[],
    params: &[],
};

/// A table specific to one study (see its section of `docs/tables.md`).
pub const STUDY: TableKind = TableKind {
    name: "study",
    doc: "a table specific to one study, documented with the study",
    columns: &[],
    params: &[],
};

/// Every table kind, for listings and the docs check.
pub const ALL: &[&TableKind] = &[
    &SPIKES,
    &ACTIVITY,
    &AVALANCHES,
    &POWERLAW_FIT,
    &BRANCHING_RATIO,
    &DIMENSIONALITY,
    &FC,
    &FC_SUMMARY,
    &SPECTRA,
    &PEAKS,
    &TWIN_ACTIVITY,
    &TWIN_DISTANCE,
    &TANGENT_STRETCH,
    &TWIN_ENDS,
    &LYAPUNOV_TRIALS,
    &LYAPUNOV_NOTEBOOK,
    &DIVERGENCE_SUMS,
    &LYAPUNOV_SUMMARY,
    &DIVERGENCE_CURVES,
    &NETWORK_RUN,
    &BOLD,
    &FC_PAIRS,
    &FC_FIT,
    &DOMINANT_FREQUENCY,
    &FCD_MATRIX,
    &ACTIVITY_SWEEP,
    &FC_SWEEP,
    &FIT_LANDSCAPE,
    &COUNT_SERIES,
    &DRIVEN_SERIES,
    &LAYERED_CELLS,
    &COUNT_AVALANCHES,
    &POWERLAW_REPORT,
    &CRACKLING,
    &SIZE_BY_DURATION,
    &BRANCHING_ESTIMATES,
    &AVALANCHES_SWEEP,
    &POWERLAW_SWEEP,
    &SIZE_BY_DURATION_SWEEP,
    &FORCE_ACTIVITY,
    &FORCE_SPIKES,
    &FORCE_CURRENTS,
    &FORCE_READOUT,
    &FORCE_WEIGHTS,
    &FORCE_LOOPS,
    &FORCE_TARGETS,
    &WEIGHT_MOTIFS,
    &LOOP_DIMENSIONALITY,
    &MOTIFS_SWEEP,
    &DIMENSIONALITY_SWEEP,
    &TRAINING_SWEEP,
    &RING_TRACES,
    &POPULATION_RATES,
    &BUMP_TRACK,
    &PERSISTENCE,
    &FI_CURVES,
    &PERSISTENCE_SWEEP,
    &SUMMARY,
    &STUDY,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_names_and_columns() {
        for (i, k) in ALL.iter().enumerate() {
            assert!(
                ALL[..i].iter().all(|o| o.name != k.name),
                "kind {} twice",
                k.name
            );
            for (j, c) in k.columns.iter().enumerate() {
                assert!(
                    k.columns[..j].iter().all(|o| o.name != c.name),
                    "{}.{} twice",
                    k.name,
                    c.name
                );
            }
            let s = k.schema("t");
            assert_eq!(s.fields.len(), k.columns.len());
        }
    }
}
