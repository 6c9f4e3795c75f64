//! Smoothing of binary activity for animation only (the branching
//! notebook's `smooth_activity`).
//!
//! A binary neuron is active or silent: it has no intermediate state, and
//! the smoothed values are not activity. They only make an animation blink
//! less. No analysis should read them.
//!
//! Frames (`frames × cells`, row-major by frame) are stretched in time by
//! `time_stretch` (frame `f` goes to stretched frame `s·f`, the `s − 1`
//! frames between are zero), then convolved along time with the symmetric
//! exponential kernel of [`symmetric_kernel`] exactly as scipy's
//! `convolve1d(x, k, axis=0, mode="constant", origin=1)`: zero outside the
//! frames, and for a kernel of even length `L`
//!
//! `y[i] = Σ_{j=0}^{L−1} k[j] · x[i + j − L/2 + 2]`
//!
//! (`convolve1d` correlates with the reversed kernel, here the same one,
//! at origin `−origin − 1 = −2`). A lone active stretched frame `m` becomes
//! `y[i] = k[m + L/2 − 2 − i]`, nonzero for `m − L/2 − 1 ≤ i ≤ m + L/2 − 2`,
//! with its two peaks of 1 at `i = m − 2` and `m − 1`: the smoothed
//! activity rises before the frame that carries it (by 1.5 stretched
//! frames on average).

use neurodyn_core::Error;

/// The notebook's time stretch.
pub const DEFAULT_TIME_STRETCH: usize = 3;
/// The notebook's kernel slope (per unit of the kernel's `[0, 1]` axis).
pub const KERNEL_SLOPE: f64 = -60.0;
/// The notebook's kernel length.
pub const KERNEL_POINTS: usize = 100;

/// The notebook's `get_symmetric_kernel(slope, npoints)`: with
/// `t_i = i / (L − 1)` (`L = points`, even, at least 4) and `h = L / 2`,
///
/// `k[i] = exp(slope · (t_i − t_h)) = exp(slope · (i − h) / (L − 1))` for
/// `i ≥ h`, and `k[i] = k[L − 1 − i]` for `i < h`:
///
/// two central values of 1 (`k[h − 1] = k[h]`), decaying on both sides for
/// a negative slope. The notebook fails for odd `L`; scipy rejects
/// `origin = 1` for `L = 2`.
pub fn symmetric_kernel(slope: f64, points: usize) -> Result<Vec<f64>, Error> {
    if !slope.is_finite() {
        return Err(Error::invalid("slope", slope, "a finite number"));
    }
    if points < 4 || points % 2 != 0 {
        return Err(Error::invalid("points", points, "an even number >= 4"));
    }
    let h = points / 2;
    let denom = (points - 1) as f64;
    let right: Vec<f64> = (h..points)
        .map(|i| (slope * (i - h) as f64 / denom).exp())
        .collect();
    Ok(right.iter().rev().chain(&right).copied().collect())
}

/// The notebook's `smooth_activity(states, time_stretch)`, for display
/// only (see the module docs): `frames` holds `frames.len() / cells`
/// frames of `cells` binary cells; returns
/// `frames.len() / cells · time_stretch` frames of `cells` values, with
/// the kernel `symmetric_kernel(KERNEL_SLOPE, KERNEL_POINTS)`.
pub fn smooth_activity(
    frames: &[bool],
    cells: usize,
    time_stretch: usize,
) -> Result<Vec<f32>, Error> {
    if cells == 0 || frames.len() % cells != 0 {
        return Err(Error::invalid(
            "cells",
            cells,
            &format!("at least 1, dividing the {} values", frames.len()),
        ));
    }
    if time_stretch == 0 {
        return Err(Error::invalid("time_stretch", 0, "at least 1"));
    }
    let kernel = symmetric_kernel(KERNEL_SLOPE, KERNEL_POINTS)?;
    Ok(convolve_stretched(frames, cells, time_stretch, &kernel))
}

/// scipy's `convolve1d(stretched, kernel, axis=0, mode="constant",
/// origin=1)` for any kernel of length `L ≥ 3` (`L ≥ 4` when even): the
/// correlation with the reversed kernel `w` at origin `o = −1 − [L even]`,
/// `y[i] = Σ_j w[j] · x[i + j − floor(L/2) − o]`, summed in increasing `j`
/// as scipy does. Only the nonzero stretched frames are visited.
fn convolve_stretched(frames: &[bool], cells: usize, stretch: usize, kernel: &[f64]) -> Vec<f32> {
    let len = kernel.len();
    debug_assert!(len >= 3 + usize::from(len % 2 == 0));
    let offset = len / 2 - 1 - usize::from(len % 2 == 0); // floor(L/2) + o
    let stretched = frames.len() / cells * stretch;
    let mut out = Vec::with_capacity(stretched * cells);
    let mut acc = vec![0.0f64; cells];
    for i in 0..stretched {
        acc.iter_mut().for_each(|a| *a = 0.0);
        for j in 0..len {
            let Some(m) = (i + j).checked_sub(offset) else {
                continue;
            };
            if m >= stretched || m % stretch != 0 {
                continue;
            }
            let w = kernel[len - 1 - j];
            let row = &frames[m / stretch * cells..(m / stretch + 1) * cells];
            for (a, &on) in acc.iter_mut().zip(row) {
                if on {
                    *a += w;
                }
            }
        }
        out.extend(acc.iter().map(|&a| a as f32));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use neurodyn_core::Seed;
    use rand::RngExt;

    /// scipy's rule written out literally: correlate1d with the reversed
    /// weights, size1 = L / 2, origin -origin - 1 (even L), constant 0.
    fn naive(frames: &[bool], cells: usize, stretch: usize, k: &[f64]) -> Vec<f64> {
        let n = frames.len() / cells * stretch;
        let mut x = vec![0.0; n * cells];
        for (f, row) in frames.chunks(cells).enumerate() {
            for (c, &on) in row.iter().enumerate() {
                x[f * stretch * cells + c] = f64::from(u8::from(on));
            }
        }
        let w: Vec<f64> = k.iter().rev().copied().collect();
        let (size1, origin) = ((k.len() / 2) as i64, -1 - 1);
        let mut y = vec![0.0; n * cells];
        for i in 0..n as i64 {
            for c in 0..cells {
                let mut s = 0.0;
                for (j, wj) in w.iter().enumerate() {
                    let m = i + j as i64 - size1 - origin;
                    if (0..n as i64).contains(&m) {
                        s += wj * x[m as usize * cells + c];
                    }
                }
                y[i as usize * cells + c] = s;
            }
        }
        y
    }

    #[test]
    fn the_kernel_is_the_notebooks() {
        // Values printed by the notebook's get_symmetric_kernel(-60).
        let k = symmetric_kernel(KERNEL_SLOPE, KERNEL_POINTS).unwrap();
        assert_eq!(k.len(), 100);
        assert_eq!((k[49], k[50]), (1.0, 1.0));
        for (i, want) in [
            (48, 0.545_495_563_820_243_4),
            (47, 0.297_565_41),
            (0, 1.266_980_501_797_84e-13),
        ] {
            assert!((k[i] / want - 1.0).abs() < 1e-8, "k[{i}] = {}", k[i]);
        }
        for i in 0..100 {
            assert_eq!(k[i], k[99 - i]);
        }
        for m in 0..50 {
            let want = (-60.0 * m as f64 / 99.0).exp();
            assert!((k[50 + m] - want).abs() <= 1e-15 * want);
        }
        assert!(symmetric_kernel(-60.0, 99).is_err());
        assert!(symmetric_kernel(-60.0, 2).is_err());
        assert!(symmetric_kernel(f64::NAN, 100).is_err());
    }

    #[test]
    fn one_active_frame_gives_the_kernel_two_frames_early() {
        // Frame 30 of 60, stretch 3: stretched frame m = 90. The output is
        // k[m + 48 - i], nonzero exactly on [m - 51, m + 48], 1 at m - 2
        // and m - 1; a second cell that is never active stays 0.
        let mut frames = vec![false; 60 * 2];
        frames[30 * 2] = true;
        let y = smooth_activity(&frames, 2, 3).unwrap();
        assert_eq!(y.len(), 180 * 2);
        let k = symmetric_kernel(KERNEL_SLOPE, KERNEL_POINTS).unwrap();
        let m = 90usize;
        for i in 0..180 {
            let want = if (m - 51..=m + 48).contains(&i) {
                k[m + 48 - i] as f32
            } else {
                0.0
            };
            assert_eq!(y[i * 2], want, "frame {i}");
            assert_eq!(y[i * 2 + 1], 0.0);
        }
        assert_eq!((y[(m - 2) * 2], y[(m - 1) * 2]), (1.0, 1.0));
        assert!(y[m * 2] < 1.0);
    }

    #[test]
    fn smoothing_matches_scipy_and_the_literal_rule() {
        // scipy 1.17.1: convolve1d of these 7 x 4 frames stretched by 3
        // with the notebook's kernel, mode="constant", origin=1 (rows
        // 0, 4, 10, 13 and 20 of 21).
        let rows = [
            [0, 0, 1, 0],
            [0, 0, 0, 0],
            [0, 1, 0, 0],
            [0, 0, 0, 0],
            [1, 0, 1, 1],
            [0, 1, 0, 0],
            [0, 0, 0, 1],
        ];
        let frames: Vec<bool> = rows.iter().flatten().map(|&v| v == 1).collect();
        let y = smooth_activity(&frames, 4, 3).unwrap();
        let scipy = [
            (
                0,
                [
                    0.002332986528,
                    0.088923865115,
                    0.547828550348,
                    0.002394456012,
                ],
            ),
            (
                4,
                [
                    0.026347980814,
                    1.004276820349,
                    0.074648980056,
                    0.027042196907,
                ],
            ),
            (10, [1.0, 0.210621610424, 1.001272633801, 1.026347980814]),
            (
                13,
                [
                    0.297565410148,
                    1.007840247718,
                    0.297771984844,
                    0.459886021329,
                ],
            ),
            (
                20,
                [
                    0.004276820349,
                    0.026460666395,
                    0.004279789387,
                    0.166597431531,
                ],
            ),
        ];
        for (i, want) in scipy {
            for c in 0..4 {
                let got = f64::from(y[i * 4 + c]);
                assert!((got - want[c]).abs() < 1e-6, "row {i} cell {c}: {got}");
            }
        }
        // Random frames at several stretches against the literal rule.
        let k = symmetric_kernel(KERNEL_SLOPE, KERNEL_POINTS).unwrap();
        let mut rng = Seed::derive(3, "display", &[]).rng();
        for stretch in [1, 3, 5] {
            let frames: Vec<bool> = (0..40 * 6).map(|_| rng.random::<f64>() < 0.3).collect();
            let y = smooth_activity(&frames, 6, stretch).unwrap();
            let want = naive(&frames, 6, stretch, &k);
            assert_eq!(y.len(), want.len());
            for (a, b) in y.iter().zip(&want) {
                assert!((f64::from(*a) - b).abs() <= 1e-6 * b.max(1.0), "{a} vs {b}");
            }
        }
        assert!(smooth_activity(&frames, 0, 3).is_err());
        assert!(smooth_activity(&frames, 5, 3).is_err());
        assert!(smooth_activity(&frames, 4, 0).is_err());
    }
}
