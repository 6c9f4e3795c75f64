//! Small derivative-free minimisers for maximum-likelihood fits.

/// Minimum of a unimodal function on `[lo, hi]` by golden-section search,
/// to a relative width `tol`.
pub fn golden_min(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64, tol: f64) -> f64 {
    let r = (5f64.sqrt() - 1.0) / 2.0;
    let mut c = hi - r * (hi - lo);
    let mut d = lo + r * (hi - lo);
    let (mut fc, mut fd) = (f(c), f(d));
    while hi - lo > tol * (1.0 + lo.abs()) {
        if fc < fd {
            hi = d;
            d = c;
            fd = fc;
            c = hi - r * (hi - lo);
            fc = f(c);
        } else {
            lo = c;
            c = d;
            fc = fd;
            d = lo + r * (hi - lo);
            fd = f(d);
        }
    }
    0.5 * (lo + hi)
}

/// Minimum of `f` over the plane by the Nelder–Mead simplex (standard
/// coefficients: reflection 1, expansion 2, contraction ½, shrink ½), from
/// `x0` with initial steps `step`; stops when the simplex's function values
/// agree to `ftol` (absolute) or after `max_evals` evaluations. A NaN value
/// counts as +∞ (outside the domain). Returns the best point and its value.
pub fn nelder_mead_2d(
    f: impl Fn([f64; 2]) -> f64,
    x0: [f64; 2],
    step: [f64; 2],
    ftol: f64,
    max_evals: usize,
) -> ([f64; 2], f64) {
    let g = |x: [f64; 2]| {
        let v = f(x);
        if v.is_nan() { f64::INFINITY } else { v }
    };
    let mut s = [x0, [x0[0] + step[0], x0[1]], [x0[0], x0[1] + step[1]]];
    let mut v = [g(s[0]), g(s[1]), g(s[2])];
    let mut evals = 3;
    let lerp =
        |a: [f64; 2], b: [f64; 2], t: f64| [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    while evals < max_evals {
        // order: best, middle, worst
        let mut idx = [0usize, 1, 2];
        idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
        s = [s[idx[0]], s[idx[1]], s[idx[2]]];
        v = [v[idx[0]], v[idx[1]], v[idx[2]]];
        if (v[2] - v[0]).abs() <= ftol && v[0].is_finite() {
            break;
        }
        let c = lerp(s[0], s[1], 0.5); // centroid of the two best
        let xr = lerp(s[2], c, 2.0);
        let fr = g(xr);
        evals += 1;
        if fr < v[0] {
            let xe = lerp(s[2], c, 3.0);
            let fe = g(xe);
            evals += 1;
            if fe < fr {
                (s[2], v[2]) = (xe, fe);
            } else {
                (s[2], v[2]) = (xr, fr);
            }
        } else if fr < v[1] {
            (s[2], v[2]) = (xr, fr);
        } else {
            // contract towards the better of the worst point and its reflection
            let (xc, fc) = if fr < v[2] {
                let xc = lerp(c, xr, 0.5);
                (xc, g(xc))
            } else {
                let xc = lerp(c, s[2], 0.5);
                (xc, g(xc))
            };
            evals += 1;
            if fc < v[2].min(fr) {
                (s[2], v[2]) = (xc, fc);
            } else {
                for k in 1..3 {
                    s[k] = lerp(s[0], s[k], 0.5);
                    v[k] = g(s[k]);
                }
                evals += 2;
            }
        }
    }
    let best = (0..3)
        .min_by(|&a, &b| v[a].total_cmp(&v[b]))
        .expect("three points");
    (s[best], v[best])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimisers_find_known_minima() {
        let x = golden_min(|x| (x - 1.3).powi(2), -5.0, 5.0, 1e-12);
        assert!((x - 1.3).abs() < 1e-9);
        // Rosenbrock: minimum 0 at (1, 1).
        let rosen = |p: [f64; 2]| (1.0 - p[0]).powi(2) + 100.0 * (p[1] - p[0] * p[0]).powi(2);
        let (p, v) = nelder_mead_2d(rosen, [-1.2, 1.0], [0.5, 0.5], 1e-14, 5000);
        assert!(
            (p[0] - 1.0).abs() < 1e-4 && (p[1] - 1.0).abs() < 1e-4 && v < 1e-8,
            "{p:?} {v}"
        );
        // NaN outside the domain is avoided.
        let dom = |p: [f64; 2]| {
            if p[0] < 0.0 {
                f64::NAN
            } else {
                (p[0] - 0.5).powi(2) + p[1] * p[1]
            }
        };
        let (p, _) = nelder_mead_2d(dom, [2.0, 1.0], [1.0, 1.0], 1e-14, 2000);
        assert!((p[0] - 0.5).abs() < 1e-5 && p[1].abs() < 1e-5, "{p:?}");
    }
}
