//! Power spectra: an iterative radix-2 complex FFT, Welch's power spectral
//! density estimate (Hann window, constant detrending, one-sided density as
//! `scipy.signal.welch(..., scaling="density")`), the dominant frequency of
//! a spectrum, and the spectra of all regions of a whole-brain time series.

use crate::fc::samples;
use neurodyn_core::Error;
use rayon::prelude::*;
use std::f64::consts::PI;

/// In-place forward discrete Fourier transform of the complex sequence
/// `re + i·im`: `X_k = Σ_j x_j e^{−2πi jk/N}` (no normalisation), by an
/// iterative radix-2 decimation-in-time FFT, O(N log N). Twiddle factors are
/// evaluated directly (not by recurrence), so the error grows only like
/// `log N`.
///
/// Panics if `re` and `im` differ in length or the length is not a power of
/// two (lengths 1, 2, 4, …; length 1 is the identity).
pub fn fft_in_place(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    assert_eq!(n, im.len(), "fft_in_place: re and im differ in length");
    assert!(
        n.is_power_of_two(),
        "fft_in_place: length {n} is not a power of two"
    );
    if n == 1 {
        return;
    }
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    // twiddles e^{−2πi k/N}, k < N/2; stage of length `len` uses every
    // (N/len)-th
    let half = n / 2;
    let (wr, wi): (Vec<f64>, Vec<f64>) = (0..half)
        .map(|k| {
            let a = -2.0 * PI * k as f64 / n as f64;
            (a.cos(), a.sin())
        })
        .unzip();
    let mut len = 2;
    while len <= n {
        let h = len / 2;
        let stride = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..h {
                let (cr, ci) = (wr[k * stride], wi[k * stride]);
                let (a, b) = (start + k, start + k + h);
                let tr = re[b] * cr - im[b] * ci;
                let ti = re[b] * ci + im[b] * cr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
            }
        }
        len *= 2;
    }
}

/// A one-sided power spectral density.
#[derive(Debug, Clone, PartialEq)]
pub struct Psd {
    /// Frequencies in Hz, `k · fs / segment_samples` for
    /// `k = 0, …, segment_samples / 2`.
    pub freq_hz: Vec<f64>,
    /// Power density per Hz (signal units² / Hz) at each frequency.
    pub power: Vec<f64>,
}

/// Welch's estimate of the one-sided power spectral density of `x`, sampled
/// every `dt_ms` milliseconds (`fs = 1000 / dt_ms` Hz).
///
/// Segments of `segment_samples` samples start every
/// `segment_samples − ⌊overlap · segment_samples⌋` samples from 0 (a
/// trailing remainder shorter than a segment is dropped); each has its mean
/// removed, is multiplied by the periodic Hann window
/// `w_j = ½ − ½ cos(2πj/N)`, transformed, and `|X_k|²` is scaled by
/// `1 / (fs Σ w_j²)`, doubled for the bins other than DC and Nyquist; the
/// segments' spectra are averaged. This is
/// `scipy.signal.welch(x, fs, window="hann", nperseg=N, noverlap=⌊overlap·N⌋,
/// detrend="constant", scaling="density")`, and `Σ_k power_k · df` with
/// `df = fs / N` is the (window-weighted) variance of the signal.
///
/// Errors if `dt_ms` is not finite and positive, `segment_samples` is not a
/// power of two ≥ 2 or exceeds `x.len()`, or `overlap` is not in `[0, 1)`.
pub fn welch_psd(
    x: &[f64],
    dt_ms: f64,
    segment_samples: usize,
    overlap: f64,
) -> Result<Psd, Error> {
    check_welch(dt_ms, segment_samples, overlap)?;
    let n = segment_samples;
    if n > x.len() {
        return Err(Error::invalid(
            "segment_samples",
            n,
            &format!("at most the signal length {}", x.len()),
        ));
    }
    let welch = Welch::new(dt_ms, n, overlap);
    let (mut re, mut im, mut power) = (vec![0.0; n], vec![0.0; n], vec![0.0; n / 2 + 1]);
    let mut segments = 0;
    for start in (0..=x.len() - n).step_by(welch.step) {
        welch.add(&x[start..start + n], &mut re, &mut im, &mut power);
        segments += 1;
    }
    Ok(welch.finish(power, segments))
}

/// The checks of [`welch_psd`] that do not depend on the signal.
fn check_welch(dt_ms: f64, segment_samples: usize, overlap: f64) -> Result<(), Error> {
    if !(dt_ms.is_finite() && dt_ms > 0.0) {
        return Err(Error::invalid("dt_ms", dt_ms, "a finite number > 0"));
    }
    let n = segment_samples;
    if !(n.is_power_of_two() && n >= 2) {
        return Err(Error::invalid(
            "segment_samples",
            n,
            "a power of two ≥ 2 (2, 4, 8, …, 1024, …)",
        ));
    }
    if !(0.0..1.0).contains(&overlap) {
        return Err(Error::invalid("overlap", overlap, "in [0, 1)"));
    }
    Ok(())
}

/// Welch's segments and window (the arguments checked by the caller): the
/// part of the estimate that signals share.
#[derive(Debug, Clone)]
struct Welch {
    fs: f64,
    /// Samples per segment, and between segment starts.
    n: usize,
    step: usize,
    w: Vec<f64>,
    sum_w2: f64,
}

impl Welch {
    fn new(dt_ms: f64, n: usize, overlap: f64) -> Self {
        let w: Vec<f64> = (0..n)
            .map(|j| 0.5 - 0.5 * (2.0 * PI * j as f64 / n as f64).cos())
            .collect();
        Welch {
            fs: 1000.0 / dt_ms,
            n,
            step: n - (overlap * n as f64).floor() as usize,
            sum_w2: w.iter().map(|v| v * v).sum(),
            w,
        }
    }

    /// Add `|X_k|²` of one segment of `n` samples to `power` (`n / 2 + 1`
    /// bins), with `re` and `im` (`n` each) as scratch.
    fn add(&self, seg: &[f64], re: &mut [f64], im: &mut [f64], power: &mut [f64]) {
        let n = self.n;
        let m = seg.iter().sum::<f64>() / n as f64;
        for ((r, v), wj) in re.iter_mut().zip(seg).zip(&self.w) {
            *r = (v - m) * wj;
        }
        im.iter_mut().for_each(|v| *v = 0.0);
        fft_in_place(re, im);
        for (k, p) in power.iter_mut().enumerate() {
            *p += re[k] * re[k] + im[k] * im[k];
        }
    }

    /// The density from the sum of `segments` segments' `|X_k|²`.
    fn finish(&self, mut power: Vec<f64>, segments: usize) -> Psd {
        let (n, fs, half) = (self.n, self.fs, self.n / 2);
        let scale = 1.0 / (fs * self.sum_w2 * segments as f64);
        for (k, p) in power.iter_mut().enumerate() {
            *p *= if k == 0 || k == half {
                scale
            } else {
                2.0 * scale
            };
        }
        let freq_hz = (0..=half).map(|k| k as f64 * fs / n as f64).collect();
        Psd { freq_hz, power }
    }
}

/// [`region_spectra`] over samples pushed one at a time: memory is one
/// segment of samples and one spectrum per region, whatever the number of
/// samples. The result is [`region_spectra`]'s, bit for bit.
#[derive(Debug, Clone)]
pub struct RegionWelch {
    regions: usize,
    welch: Welch,
    /// The last segment of samples, sample `k` at row `k % segment`.
    ring: Vec<f64>,
    seen: usize,
    /// Per region, the sum of the segments' `|X_k|²`.
    power: Vec<Vec<f64>>,
    segments: usize,
}

impl RegionWelch {
    /// Welch spectra of `n_regions` regions sampled every `dt_ms`, with the
    /// segments and overlap of [`welch_psd`] (and its errors, but for the
    /// length).
    pub fn new(
        n_regions: usize,
        dt_ms: f64,
        segment_samples: usize,
        overlap: f64,
    ) -> Result<Self, Error> {
        check_welch(dt_ms, segment_samples, overlap)?;
        Ok(RegionWelch {
            regions: n_regions,
            welch: Welch::new(dt_ms, segment_samples, overlap),
            ring: vec![0.0; n_regions * segment_samples],
            seen: 0,
            power: vec![vec![0.0; segment_samples / 2 + 1]; n_regions],
            segments: 0,
        })
    }

    /// The next sample: one value per region.
    pub fn push(&mut self, row: &[f64]) {
        let n = self.regions;
        assert_eq!(row.len(), n, "RegionWelch::push: one value per region");
        let (seg, step) = (self.welch.n, self.welch.step);
        let at = self.seen % seg;
        self.ring[at * n..(at + 1) * n].copy_from_slice(row);
        self.seen += 1;
        if self.seen >= seg && (self.seen - seg) % step == 0 {
            let (ring, oldest, welch) = (&self.ring, self.seen % seg, &self.welch);
            self.power.par_iter_mut().enumerate().for_each_init(
                || (vec![0.0; seg], vec![0.0; seg], vec![0.0; seg]),
                |(x, re, im), (i, power)| {
                    // region i's segment in time order
                    for (k, v) in x.iter_mut().enumerate() {
                        *v = ring[((oldest + k) % seg) * n + i];
                    }
                    welch.add(x, re, im, power);
                },
            );
            self.segments += 1;
        }
    }

    /// One spectrum per region; an error when fewer samples than a segment
    /// were pushed.
    pub fn finish(self) -> Result<Vec<Psd>, Error> {
        if self.segments == 0 {
            return Err(Error::invalid(
                "segment_samples",
                self.welch.n,
                &format!("at most the signal length {}", self.seen),
            ));
        }
        let (welch, segments) = (&self.welch, self.segments);
        Ok(self
            .power
            .into_iter()
            .map(|p| welch.finish(p, segments))
            .collect())
    }
}

/// The frequency (Hz) of the largest spectral peak, the DC bin excluded.
///
/// The peak bin is refined by fitting a parabola through the logarithms of
/// its power and its two neighbours' (exact for a Gaussian peak, and close
/// to exact for the Hann window's main lobe); at the last bin, or when a
/// neighbour has zero power, the bin's own frequency is returned. NaN bins
/// are ignored; NaN if no bin other than DC has a number.
pub fn dominant_frequency_hz(psd: &Psd) -> f64 {
    let p = &psd.power;
    let mut best: Option<usize> = None;
    for k in 1..p.len() {
        if p[k].is_nan() {
            continue;
        }
        match best {
            Some(b) if p[b] >= p[k] => {}
            _ => best = Some(k),
        }
    }
    let Some(k) = best else {
        return f64::NAN;
    };
    let f = psd.freq_hz[k];
    if k + 1 >= p.len() || k < 1 {
        return f;
    }
    let (a, b, c) = (p[k - 1], p[k], p[k + 1]);
    if !(a > 0.0 && b > 0.0 && c > 0.0) {
        return f;
    }
    let (a, b, c) = (a.ln(), b.ln(), c.ln());
    let denom = a - 2.0 * b + c;
    if denom >= 0.0 {
        return f;
    }
    // vertex of the parabola, within half a bin of the maximum bin
    let delta = (0.5 * (a - c) / denom).clamp(-0.5, 0.5);
    let df = psd.freq_hz[k] - psd.freq_hz[k - 1];
    f + delta * df
}

/// [`welch_psd`] of every region of the time-major series `ts`
/// (`ts[t * n_regions + i]`), one [`Psd`] per region in region order.
/// Regions are processed in parallel; each result is identical to calling
/// [`welch_psd`] on that region's series alone.
///
/// Errors for a bad layout (`n_regions` 0, `ts.len()` not a multiple of it)
/// and for the errors of [`welch_psd`].
pub fn region_spectra(
    ts: &[f64],
    n_regions: usize,
    dt_ms: f64,
    segment_samples: usize,
    overlap: f64,
) -> Result<Vec<Psd>, Error> {
    let t = samples(ts, n_regions)?;
    (0..n_regions)
        .into_par_iter()
        .map(|i| {
            let x: Vec<f64> = (0..t).map(|s| ts[s * n_regions + i]).collect();
            welch_psd(&x, dt_ms, segment_samples, overlap)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::mean;
    use neurodyn_core::{Rng, Seed};
    use rand::RngExt;
    use rand_distr::{Distribution, StandardNormal};

    fn rng(k: u64) -> Rng {
        Seed::derive(k, "spectrum-test", &[]).rng()
    }

    #[test]
    fn spectra_of_pushed_samples_are_the_spectra_of_the_slice_bit_for_bit() {
        let mut r = rng(8);
        let (n, t) = (3, 1000);
        let ts = noise(&mut r, n * t, 1.5);
        for (seg, overlap) in [(2, 0.0), (64, 0.5), (128, 0.75), (512, 0.3), (512, 0.0)] {
            let whole = region_spectra(&ts, n, 0.5, seg, overlap).unwrap();
            let mut pushed = RegionWelch::new(n, 0.5, seg, overlap).unwrap();
            ts.chunks_exact(n).for_each(|row| pushed.push(row));
            let pushed = pushed.finish().unwrap();
            for (a, b) in whole.iter().zip(&pushed) {
                assert_eq!(a.freq_hz, b.freq_hz);
                let bits = |p: &[f64]| p.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
                assert_eq!(bits(&a.power), bits(&b.power), "{seg} {overlap}");
            }
        }
        assert!(RegionWelch::new(n, 0.5, 100, 0.5).is_err());
        let mut short = RegionWelch::new(n, 0.5, 1024, 0.5).unwrap();
        ts.chunks_exact(n).for_each(|row| short.push(row));
        assert!(short.finish().is_err());
    }

    fn noise(rng: &mut Rng, n: usize, sigma: f64) -> Vec<f64> {
        (0..n)
            .map(|_| sigma * Distribution::<f64>::sample(&StandardNormal, rng))
            .collect()
    }

    /// O(N²) DFT with exactly reduced angles.
    fn naive_dft(re: &[f64], im: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let n = re.len();
        (0..n)
            .map(|k| {
                let (mut sr, mut si) = (0.0, 0.0);
                for j in 0..n {
                    let a = -2.0 * PI * ((j * k) % n) as f64 / n as f64;
                    let (c, s) = (a.cos(), a.sin());
                    sr += re[j] * c - im[j] * s;
                    si += re[j] * s + im[j] * c;
                }
                (sr, si)
            })
            .unzip()
    }

    #[test]
    fn fft_matches_the_naive_dft() {
        let mut r = rng(1);
        let mut worst: f64 = 0.0;
        for bits in 0..=11 {
            let n = 1usize << bits;
            let re0: Vec<f64> = (0..n).map(|_| r.random::<f64>() - 0.5).collect();
            let im0: Vec<f64> = (0..n).map(|_| r.random::<f64>() - 0.5).collect();
            let (dr, di) = naive_dft(&re0, &im0);
            let (mut re, mut im) = (re0.clone(), im0.clone());
            fft_in_place(&mut re, &mut im);
            let scale = dr
                .iter()
                .zip(&di)
                .map(|(a, b)| a.hypot(*b))
                .fold(0.0, f64::max);
            let err = (0..n)
                .map(|k| (re[k] - dr[k]).hypot(im[k] - di[k]))
                .fold(0.0, f64::max);
            worst = worst.max(err / scale);
        }
        assert!(worst < 1e-9, "max relative error {worst:e}");
        // a pure tone lands in one bin
        let n = 64;
        let mut re: Vec<f64> = (0..n)
            .map(|j| (2.0 * PI * 5.0 * j as f64 / 64.0).cos())
            .collect();
        let mut im = vec![0.0; n];
        fft_in_place(&mut re, &mut im);
        assert!((re[5] - 32.0).abs() < 1e-12 && (re[59] - 32.0).abs() < 1e-12);
        assert!(re[6].abs() < 1e-12 && im[5].abs() < 1e-12);
    }

    #[test]
    #[should_panic(expected = "not a power of two")]
    fn fft_rejects_a_length_that_is_not_a_power_of_two() {
        fft_in_place(&mut [0.0; 12], &mut [0.0; 12]);
    }

    #[test]
    fn dominant_frequency_of_a_sine_is_within_one_bin() {
        let dt_ms = 0.1; // fs = 10 kHz
        let n = 100_000; // 10 s
        let mut r = rng(2);
        for f0 in [10.0, 11.0, 40.0, 123.4] {
            let x: Vec<f64> = (0..n)
                .map(|j| {
                    (2.0 * PI * f0 * j as f64 * dt_ms * 1e-3).sin()
                        + 0.3 * Distribution::<f64>::sample(&StandardNormal, &mut r)
                })
                .collect();
            let psd = welch_psd(&x, dt_ms, 4096, 0.5).unwrap();
            let df = psd.freq_hz[1];
            assert!((df - 10_000.0 / 4096.0).abs() < 1e-12);
            let f = dominant_frequency_hz(&psd);
            assert!((f - f0).abs() < df, "f0 {f0}: {f} (df {df})");
        }
    }

    #[test]
    fn interpolated_peak_beats_the_bin_centre_for_an_off_bin_sine() {
        let dt_ms = 0.1;
        let seg = 4096;
        let df = 10_000.0 / seg as f64;
        // 4.5 and 8.3 bins: far from a bin centre
        for f0 in [4.5 * df, 8.3 * df] {
            let x: Vec<f64> = (0..100_000)
                .map(|j| (2.0 * PI * f0 * j as f64 * dt_ms * 1e-3).sin())
                .collect();
            let psd = welch_psd(&x, dt_ms, seg, 0.5).unwrap();
            let k = (1..psd.power.len())
                .max_by(|&a, &b| psd.power[a].total_cmp(&psd.power[b]))
                .unwrap();
            let bin_err = (psd.freq_hz[k] - f0).abs();
            let err = (dominant_frequency_hz(&psd) - f0).abs();
            assert!(err < 0.05 * df, "f0 {f0}: error {err} (df {df})");
            assert!(bin_err > 0.25 * df && err < bin_err / 5.0);
        }
        // a DC offset is not the dominant frequency
        let psd = Psd {
            freq_hz: vec![0.0, 1.0, 2.0, 3.0],
            power: vec![100.0, 1.0, 4.0, 1.0],
        };
        assert_eq!(dominant_frequency_hz(&psd), 2.0);
        let psd = Psd {
            freq_hz: vec![0.0],
            power: vec![1.0],
        };
        assert!(dominant_frequency_hz(&psd).is_nan());
    }

    #[test]
    fn integral_of_the_white_noise_psd_is_its_variance() {
        let (sigma, seg, k_seg) = (2.0, 1024, 200);
        let n = seg * k_seg;
        let x = noise(&mut rng(3), n, sigma);
        let dt_ms = 0.5;
        // non-overlapping segments are independent; per segment the
        // integral is Σ (w x)² / Σ w², of relative variance
        // 2 Σw⁴/(Σw²)² = 2·35/(18 N) for the Hann window
        let psd = welch_psd(&x, dt_ms, seg, 0.0).unwrap();
        let df = psd.freq_hz[1];
        let integral: f64 = psd.power.iter().map(|p| p * df).sum();
        let rel_sd = (2.0 * 35.0 / 18.0 / n as f64).sqrt();
        // mean removal biases by −1/N (N the segment length)
        let tol = 5.0 * rel_sd + 2.0 / seg as f64;
        let var = sigma * sigma;
        assert!(
            (integral / var - 1.0).abs() < tol,
            "∫PSD = {integral}, σ² = {var}, tol {tol}"
        );
        // with 50 % overlap the estimate is still unbiased
        let psd = welch_psd(&x, dt_ms, seg, 0.5).unwrap();
        let integral: f64 = psd.power.iter().map(|p| p * df).sum();
        assert!((integral / var - 1.0).abs() < tol, "overlap: {integral}");
    }

    #[test]
    fn one_segment_satisfies_parseval_exactly() {
        let n = 512;
        let mut r = rng(4);
        let x: Vec<f64> = (0..n)
            .map(|j| 3.0 + (j as f64 * 0.05).sin() + r.random::<f64>())
            .collect();
        let dt_ms = 2.0;
        let psd = welch_psd(&x, dt_ms, n, 0.0).unwrap();
        let df = psd.freq_hz[1];
        let integral: f64 = psd.power.iter().map(|p| p * df).sum();
        let m = mean(&x);
        let w = |j: usize| 0.5 - 0.5 * (2.0 * PI * j as f64 / n as f64).cos();
        let num: f64 = (0..n).map(|j| (w(j) * (x[j] - m)).powi(2)).sum();
        let den: f64 = (0..n).map(|j| w(j) * w(j)).sum();
        assert!((integral - num / den).abs() < 1e-12 * integral);
        assert_eq!(psd.freq_hz.len(), n / 2 + 1);
        assert!((psd.freq_hz[n / 2] - 250.0).abs() < 1e-12); // Nyquist of 500 Hz
        // the segment mean is removed: a constant offset changes nothing
        let shifted: Vec<f64> = x.iter().map(|v| v + 100.0).collect();
        let psd2 = welch_psd(&shifted, dt_ms, n, 0.0).unwrap();
        for (p, q) in psd.power.iter().zip(&psd2.power) {
            assert!((p - q).abs() < 1e-9 * integral, "{p} vs {q}");
        }
    }

    #[test]
    fn welch_matches_scipy() {
        // scipy 1.17.1: t = arange(1000.); x = sin(0.3 t) + 0.5 cos(1.7 t**1.1) + 0.01 t;
        // welch(x, fs=2000, window="hann", nperseg=128, noverlap=64,
        //       detrend="constant", scaling="density")
        let x: Vec<f64> = (0..1000)
            .map(|j| {
                let t = j as f64;
                (0.3 * t).sin() + 0.5 * (1.7 * t.powf(1.1)).cos() + 0.01 * t
            })
            .collect();
        let psd = welch_psd(&x, 0.5, 128, 0.5).unwrap();
        let reference = [
            (0, 7.579093135618133e-06),
            (1, 0.001993622552257644),
            (2, 9.939667389585956e-05),
            (6, 0.02097457427918764),
            (7, 0.007280272937114937),
            (30, 1.0072041716982774e-11),
            (63, 0.000461433873644395),
            (64, 0.0004591823821200382),
        ];
        assert_eq!(psd.power.len(), 65);
        for (k, p) in reference {
            let err = (psd.power[k] - p).abs();
            assert!(
                err < 1e-12 * 0.021 + 1e-9 * p,
                "bin {k}: {} vs {p}",
                psd.power[k]
            );
        }
        assert!((psd.freq_hz[6] - 93.75).abs() < 1e-12);
    }

    #[test]
    fn white_noise_has_flat_density_two_sigma_squared_over_fs() {
        let (sigma, seg, k_seg) = (0.7, 512, 400);
        let dt_ms = 0.25; // fs = 4 kHz
        let fs = 1000.0 / dt_ms;
        let x = noise(&mut rng(5), seg * k_seg, sigma);
        let psd = welch_psd(&x, dt_ms, seg, 0.0).unwrap();
        let expected = 2.0 * sigma * sigma / fs;
        // interior bins; the mean over a band of B bins in K independent
        // segments has relative sd ≈ 1/sqrt(B K) (adjacent Hann bins are
        // correlated, which at most doubles the variance: use sqrt(2/(B K)))
        let half = seg / 2;
        for (lo, hi) in [(1, half), (2, half / 4), (3 * half / 4, half)] {
            let band = &psd.power[lo..hi];
            let b = band.len() as f64;
            let tol = 5.0 * (2.0 / (b * k_seg as f64)).sqrt();
            let ratio = mean(band) / expected;
            assert!(
                (ratio - 1.0).abs() < tol,
                "bins {lo}..{hi}: density/(2σ²/fs) = {ratio}, tol {tol}"
            );
        }
    }

    #[test]
    fn region_spectra_equal_per_region_welch() {
        let (t, n) = (5000, 7);
        let mut r = rng(6);
        let ts: Vec<f64> = (0..t * n)
            .map(|k| {
                let (s, i) = (k / n, k % n);
                (2.0 * PI * (5.0 + 3.0 * i as f64) * s as f64 * 1e-3).sin()
                    + Distribution::<f64>::sample(&StandardNormal, &mut r)
            })
            .collect();
        let spectra = region_spectra(&ts, n, 1.0, 256, 0.5).unwrap();
        assert_eq!(spectra.len(), n);
        for (i, psd) in spectra.iter().enumerate() {
            let x: Vec<f64> = (0..t).map(|s| ts[s * n + i]).collect();
            assert_eq!(*psd, welch_psd(&x, 1.0, 256, 0.5).unwrap());
            let f = dominant_frequency_hz(psd);
            assert!((f - (5.0 + 3.0 * i as f64)).abs() < psd.freq_hz[1]);
        }
    }

    #[test]
    fn bad_arguments_are_reported() {
        let x = vec![0.0; 100];
        assert!(welch_psd(&x, 1.0, 48, 0.5).is_err());
        assert!(welch_psd(&x, 1.0, 1, 0.5).is_err());
        assert!(welch_psd(&x, 1.0, 128, 0.5).is_err());
        assert!(welch_psd(&x, 1.0, 64, 1.0).is_err());
        assert!(welch_psd(&x, 1.0, 64, -0.1).is_err());
        assert!(welch_psd(&x, 0.0, 64, 0.5).is_err());
        assert!(welch_psd(&x, f64::NAN, 64, 0.5).is_err());
        assert!(welch_psd(&x, 1.0, 64, 0.5).is_ok());
        let e = welch_psd(&x, 1.0, 48, 0.5).unwrap_err().to_string();
        assert!(
            e.contains("segment_samples") && e.contains("power of two"),
            "{e}"
        );
        assert!(region_spectra(&x, 3, 1.0, 16, 0.5).is_err());
        assert!(region_spectra(&x, 0, 1.0, 16, 0.5).is_err());
    }
}
