//! A fixed-step time grid.

use crate::Error;

/// A uniform time grid: `steps` steps of `dt_ms` milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimeGrid {
    /// Step size in milliseconds.
    pub dt_ms: f64,
    /// Number of steps.
    pub steps: usize,
}

impl TimeGrid {
    /// A validated grid: `dt_ms` finite and positive, at least one step.
    pub fn try_new(dt_ms: f64, steps: usize) -> Result<Self, Error> {
        if !(dt_ms.is_finite() && dt_ms > 0.0) {
            return Err(Error::invalid("dt_ms", dt_ms, "a finite number > 0"));
        }
        if steps == 0 {
            return Err(Error::invalid("steps", steps, "an integer >= 1"));
        }
        Ok(TimeGrid { dt_ms, steps })
    }

    /// Total simulated duration in milliseconds.
    pub fn duration_ms(&self) -> f64 {
        self.dt_ms * self.steps as f64
    }

    /// Time of step `k` in milliseconds (`k * dt_ms`, exact for the grid's own steps).
    pub fn t_ms(&self, k: usize) -> f64 {
        k as f64 * self.dt_ms
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_grids() {
        assert!(TimeGrid::try_new(0.0, 10).is_err());
        assert!(TimeGrid::try_new(f64::NAN, 10).is_err());
        assert!(TimeGrid::try_new(0.1, 0).is_err());
        let g = TimeGrid::try_new(0.5, 7).unwrap();
        assert_eq!(g.duration_ms(), 3.5);
        assert_eq!(g.t_ms(4), 2.0);
    }
}
