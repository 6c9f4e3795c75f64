//! An oriented stimulus on a ring of neurons with preferred angles.

/// Rate of each neuron under a stimulus at `stimulus_deg`:
/// `base_hz · (1 + amplitude · exp(eta · (cos(θ_i − θ_s) − 1)))`, where `θ_i`
/// is neuron i's preferred angle (degrees). The peak, `base_hz · (1 +
/// amplitude)`, is at the neuron preferring the stimulus; `eta` sets the
/// width (a von Mises profile: large `eta`, narrow bump).
pub fn oriented_rates(
    base_hz: f64,
    amplitude: f64,
    eta: f64,
    stimulus_deg: f64,
    preferred_deg: &[f64],
) -> Vec<f64> {
    preferred_deg
        .iter()
        .map(|&th| {
            let c = (th - stimulus_deg).to_radians().cos();
            base_hz * (1.0 + amplitude * (eta * (c - 1.0)).exp())
        })
        .collect()
}

/// Preferred angles of `n` neurons evenly spaced on the circle: `i · 360 / n` degrees.
pub fn ring_angles_deg(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64 * 360.0 / n as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_at_the_stimulus_and_symmetric_around_it() {
        let th = ring_angles_deg(360);
        let r = oriented_rates(1.0, 100.0, 20.0, 100.0, &th);
        assert!((r[100] - 101.0).abs() < 1e-12);
        let max = r.iter().cloned().fold(f64::MIN, f64::max);
        assert_eq!(max, r[100]);
        for d in 1..180 {
            assert!((r[100 + d] - r[(100 + 360 - d) % 360]).abs() < 1e-9 * r[100]);
            assert!(r[100 + d - 1] >= r[100 + d], "falls away from the stimulus");
        }
        // Opposite the stimulus: base · (1 + A e^{-2 eta}).
        assert!((r[280] - (1.0 + 100.0 * (-40.0f64).exp())).abs() < 1e-12);
    }
}
