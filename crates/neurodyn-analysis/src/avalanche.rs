//! Neuronal avalanches: segmentation of an activity time series, and the
//! exact laws of the critical branching process to test against.
//!
//! An avalanche is a run of non-empty time bins bounded by empty bins; its
//! size is the number of events in the run and its duration the number of
//! bins (Beggs & Plenz 2003). Activity before the first empty bin and after
//! the last one is an incomplete avalanche and is dropped.

/// One avalanche: events and bins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Avalanche {
    /// Index of its first bin.
    pub start: usize,
    /// Events in the run.
    pub size: u64,
    /// Bins in the run.
    pub duration: u64,
}

/// Counts in bins of `k` consecutive samples (the last, partial bin is
/// dropped): re-binning by Δt = k · the original bin.
pub fn rebin(counts: &[u64], k: usize) -> Vec<u64> {
    let k = k.max(1);
    counts.chunks_exact(k).map(|c| c.iter().sum()).collect()
}

/// The complete avalanches of `counts` (events per bin): runs of non-empty
/// bins with an empty bin (or nothing, for runs at the very start or end:
/// those are dropped as incomplete) on each side.
pub fn segment(counts: &[u64]) -> Vec<Avalanche> {
    let mut out = Vec::new();
    // Skip a run touching the start: it may have begun before the recording.
    let mut i = counts.iter().position(|&c| c == 0).unwrap_or(counts.len());
    while i < counts.len() {
        // counts[i] == 0 here
        let Some(off) = counts[i..].iter().position(|&c| c != 0) else {
            break;
        };
        let start = i + off;
        let Some(len) = counts[start..].iter().position(|&c| c == 0) else {
            break; // runs to the end: incomplete
        };
        let size = counts[start..start + len].iter().sum();
        out.push(Avalanche {
            start,
            size,
            duration: len as u64,
        });
        i = start + len;
    }
    out
}

/// `P(S = s)` for `s = 1..=s_max` of the Borel distribution with parameter
/// `mu` (total progeny of a Galton–Watson process with Poisson(`mu`)
/// offspring, `0 < mu <= 1`): `e^(−mu s) (mu s)^(s−1) / s!`, computed by the
/// ratio `P(s+1)/P(s) = mu e^(−mu) (1 + 1/s)^(s−1)`. Index 0 holds `P(1)`.
pub fn borel_pmf(mu: f64, s_max: usize) -> Vec<f64> {
    let mut p = Vec::with_capacity(s_max);
    let mut x = (-mu).exp();
    let r = mu * (-mu).exp();
    for s in 1..=s_max {
        p.push(x);
        let s = s as f64;
        x *= r * ((s - 1.0) * (1.0 / s).ln_1p()).exp();
    }
    p
}

/// `P(S > s)` of the Borel(1) distribution (critical Poisson branching) for
/// `s >= 1000`, from Stirling's series of the pmf, `P(k) = (2π)^(−1/2)
/// k^(−3/2) e^(−1/(12k) + 1/(360k³) − …)`, summed term by term as Hurwitz zeta
/// functions: `(2π)^(−1/2) [ζ(3/2, s+1) − ζ(5/2, s+1)/12 + ζ(7/2, s+1)/288 +
/// 0.0026813 ζ(9/2, s+1)]` (relative error below 1e-13 from 1000 on).
/// Below 1000 sum [`borel_pmf`].
pub fn borel_critical_sf(s: u64) -> f64 {
    use crate::zeta::hurwitz_zeta as z;
    let q = s as f64 + 1.0;
    // e^x = 1 + x + x²/2 + x³/6 with x = −1/(12k) + 1/(360k³): the k^−3
    // coefficient is 1/360 − 1/10368
    let c3 = 1.0 / 360.0 - 1.0 / 10_368.0;
    (z(1.5, q) - z(2.5, q) / 12.0 + z(3.5, q) / 288.0 + c3 * z(4.5, q))
        / (2.0 * std::f64::consts::PI).sqrt()
}

/// `P(T <= t)` for `t = 1..=t_max` of a Galton–Watson process with
/// Poisson(`m`) offspring started by one individual, `T` the number of
/// generations with at least one individual: `f_t = exp(m (f_(t−1) − 1))`,
/// `f_0 = 0`. Index 0 holds `P(T <= 1) = e^(−m)`.
pub fn galton_watson_duration_cdf(m: f64, t_max: usize) -> Vec<f64> {
    let mut f = 0.0f64;
    (0..t_max)
        .map(|_| {
            f = (m * (f - 1.0)).exp();
            f
        })
        .collect()
}

/// The exact mean size of an avalanche of each duration, `E[S | T = t]` for
/// `t = 1..=t_max`, of the Galton–Watson process with Poisson(`m`)
/// offspring from one individual. With `q_t = P(T <= t)` and `d_t = E[S;
/// T <= t]`, the generating function `H_t(x) = E[x^S; T <= t] = x f(H_(t−1)(x))`
/// (`f(x) = e^(m (x − 1))`) gives `q_t = f(q_(t−1))` and `d_t = q_t (1 + m
/// d_(t−1))`, so `E[S | T = t] = (d_t − d_(t−1)) / (q_t − q_(t−1))`. At
/// `m = 1` it grows as `t²` (the crackling relation `(α_T − 1)/(α_S − 1) = 2`).
pub fn galton_watson_mean_size_by_duration(m: f64, t_max: usize) -> Vec<f64> {
    let (mut q, mut d) = (0.0f64, 0.0f64);
    (0..t_max)
        .map(|_| {
            let q_next = (m * (q - 1.0)).exp();
            let d_next = q_next * (1.0 + m * d);
            let mean = (d_next - d) / (q_next - q);
            (q, d) = (q_next, d_next);
            mean
        })
        .collect()
}

/// Kolmogorov–Smirnov distance between the empirical distribution of
/// integer samples (values `>= 1`) and a reference CDF given at `1, 2, …`
/// (`cdf[k - 1] = P(X <= k)`), over the values the CDF covers; samples
/// beyond it count as above every covered value.
pub fn ks_distance_discrete(samples: &[u64], cdf: &[f64]) -> f64 {
    let n = samples.len() as f64;
    let mut counts = vec![0u64; cdf.len()];
    for &x in samples {
        if x >= 1 && x <= cdf.len() as u64 {
            counts[x as usize - 1] += 1;
        }
    }
    let mut below = 0u64;
    let mut d = 0.0f64;
    for (k, &c) in cdf.iter().enumerate() {
        below += counts[k];
        d = d.max((below as f64 / n - c).abs());
    }
    d
}

/// Mean size of the avalanches of each duration: `(duration, mean size,
/// count)` for every duration that occurs, increasing.
pub fn mean_size_by_duration(sizes: &[u64], durations: &[u64]) -> Vec<(u64, f64, u64)> {
    let mut pairs: Vec<(u64, u64)> = durations
        .iter()
        .copied()
        .zip(sizes.iter().copied())
        .collect();
    pairs.sort_unstable();
    let mut out: Vec<(u64, f64, u64)> = Vec::new();
    for (t, s) in pairs {
        match out.last_mut() {
            Some(last) if last.0 == t => {
                last.1 += s as f64;
                last.2 += 1;
            }
            _ => out.push((t, s as f64, 1)),
        }
    }
    out.iter_mut().for_each(|x| x.1 /= x.2 as f64);
    out
}

/// The crackling-noise exponent γ of `⟨S⟩(T) ~ T^γ`: least-squares slope
/// of `ln ⟨S⟩` on `ln T` over durations in `t_min..=t_max` with at least
/// `min_count` avalanches each, every duration weighted by its count (the
/// precision of its mean). None with fewer than two such durations. To
/// compare with `(α_T − 1)/(α_S − 1)` of the power-law fits.
pub fn crackling_exponent(
    sizes: &[u64],
    durations: &[u64],
    t_min: u64,
    t_max: u64,
    min_count: u64,
) -> Option<f64> {
    let pts: Vec<(f64, f64, f64)> = mean_size_by_duration(sizes, durations)
        .into_iter()
        .filter(|&(t, _, c)| t >= t_min && t <= t_max && c >= min_count)
        .map(|(t, s, c)| ((t as f64).ln(), s.ln(), c as f64))
        .collect();
    if pts.len() < 2 {
        return None;
    }
    let w: f64 = pts.iter().map(|p| p.2).sum();
    let mx = pts.iter().map(|p| p.2 * p.0).sum::<f64>() / w;
    let my = pts.iter().map(|p| p.2 * p.1).sum::<f64>() / w;
    let sxy: f64 = pts.iter().map(|p| p.2 * (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| p.2 * (p.0 - mx).powi(2)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segmentation_drops_incomplete_runs_and_counts_sizes_and_durations() {
        let c = [3, 1, 0, 0, 2, 5, 0, 1, 0, 4, 4];
        let a = segment(&c);
        assert_eq!(
            a,
            [
                Avalanche {
                    start: 4,
                    size: 7,
                    duration: 2
                },
                Avalanche {
                    start: 7,
                    size: 1,
                    duration: 1
                },
            ]
        );
        assert!(segment(&[1, 2, 3]).is_empty());
        assert!(segment(&[0, 0]).is_empty());
        assert_eq!(rebin(&[1, 0, 0, 0, 2, 0, 7], 2), [1, 0, 2]);
        // Re-binning by 2 merges the runs [1, 2] and [3] into single bins.
        let r = rebin(&[0, 0, 1, 2, 0, 0, 0, 0, 3, 0, 0, 0], 2);
        assert_eq!(r, [0, 3, 0, 0, 3, 0]);
        assert_eq!(
            segment(&r),
            [
                Avalanche {
                    start: 1,
                    size: 3,
                    duration: 1
                },
                Avalanche {
                    start: 4,
                    size: 3,
                    duration: 1
                },
            ]
        );
    }

    #[test]
    fn borel_sums_to_one_and_matches_its_closed_form() {
        // Closed form for small s: P(1) = e^-mu, P(2) = mu e^(-2mu),
        // P(3) = 3/2 mu^2 e^(-3mu).
        let mu = 0.7;
        let p = borel_pmf(mu, 200_000);
        assert!((p[0] - (-mu).exp()).abs() < 1e-15);
        assert!((p[1] - mu * (-2.0 * mu).exp()).abs() < 1e-15);
        assert!((p[2] - 1.5 * mu * mu * (-3.0 * mu).exp()).abs() < 1e-15);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Critical: the tail P(S > s) ~ sqrt(2 / (pi s)).
        let p = borel_pmf(1.0, 100_000);
        let tail = 1.0 - p.iter().sum::<f64>();
        let want = (2.0 / (std::f64::consts::PI * 100_000.0)).sqrt();
        assert!((tail / want - 1.0).abs() < 0.01, "{tail} vs {want}");
    }

    #[test]
    fn galton_watson_durations_are_extinction_probabilities() {
        // Subcritical: P(T <= t) -> 1; critical: P(T > t) ~ 2 / t.
        let f = galton_watson_duration_cdf(0.5, 200);
        assert!((f[0] - (-0.5f64).exp()).abs() < 1e-15);
        assert!((f[199] - 1.0).abs() < 1e-12);
        let f = galton_watson_duration_cdf(1.0, 10_000);
        let t = 10_000.0;
        assert!(((1.0 - f[9999]) * t / 2.0 - 1.0).abs() < 0.01);
    }

    #[test]
    fn crackling_exponent_of_an_exact_power_relation() {
        // <S>(T) = 3 T^1.7 exactly (two avalanches per duration, sizes
        // symmetric around the mean): slope 1.7.
        let (mut s, mut t) = (Vec::new(), Vec::new());
        for d in 1..=50u64 {
            let m = (3.0 * (d as f64).powf(1.7)).round() as u64 * 2;
            s.extend([m / 2 - 1, m / 2 + 1]);
            t.extend([d, d]);
        }
        let m = mean_size_by_duration(&s, &t);
        assert_eq!(m.len(), 50);
        assert!(m.iter().all(|x| x.2 == 2));
        let g = crackling_exponent(&s, &t, 5, 50, 2).unwrap();
        assert!((g - 1.7).abs() < 0.01, "{g}");
        assert!(crackling_exponent(&s, &t, 5, 50, 3).is_none());
    }

    #[test]
    fn ks_distance_of_exact_samples_is_the_largest_gap() {
        // Samples 1,1,2,3 against P(X <= k) = 0.5, 0.75, 1.0: zero distance.
        assert!(ks_distance_discrete(&[1, 1, 2, 3], &[0.5, 0.75, 1.0]) < 1e-15);
        // Against a CDF that puts everything on 1: the gap at k = 1 is 0.5.
        assert!((ks_distance_discrete(&[1, 1, 2, 3], &[1.0, 1.0, 1.0]) - 0.5).abs() < 1e-15);
        // Samples beyond the covered range count as above it.
        assert!((ks_distance_discrete(&[1, 9], &[0.5, 0.5]) - 0.0).abs() < 1e-15);
    }

    #[test]
    fn the_borel_tail_series_continues_the_exact_sum() {
        // 1 − Σ_(k<=s) P(k) against the series at s = 1000, 5000, 20000
        // (the direct sum's own rounding: about 1e-13 absolute)
        let pmf = borel_pmf(1.0, 20_000);
        for s in [1000usize, 5000, 20_000] {
            let direct = 1.0 - pmf[..s].iter().sum::<f64>();
            let series = borel_critical_sf(s as u64);
            assert!((direct - series).abs() < 1e-12, "{s}: {direct} vs {series}");
        }
        // and the leading asymptote sqrt(2 / (π s)) far out
        let s = 1e12;
        assert!(
            (borel_critical_sf(s as u64) / (2.0 / (std::f64::consts::PI * s)).sqrt() - 1.0).abs()
                < 1e-6
        );
    }
}
