//! Decimation of long series for drawing: [`Envelope`] keeps, for each of
//! at most a fixed number of buckets of consecutive samples, the lowest and
//! the highest sample, so a line through them shows the series' envelope
//! at any length while memory stays fixed.

/// The lowest and highest sample of a bucket: `(t, value)` each.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Bucket {
    lo: (f64, f64),
    hi: (f64, f64),
}

impl Bucket {
    fn of(t: f64, v: f64) -> Self {
        Bucket {
            lo: (t, v),
            hi: (t, v),
        }
    }

    /// NaN samples are left out (a bucket of NaN only is drawn as NaN).
    fn add(&mut self, t: f64, v: f64) {
        if v.is_nan() {
            return;
        }
        if self.lo.1.is_nan() {
            *self = Bucket::of(t, v);
            return;
        }
        if v < self.lo.1 {
            self.lo = (t, v);
        }
        if v > self.hi.1 {
            self.hi = (t, v);
        }
    }

    /// The two buckets as one (`self` first in time).
    fn merge(self, later: Bucket) -> Bucket {
        let mut b = self;
        b.add(later.lo.0, later.lo.1);
        b.add(later.hi.0, later.hi.1);
        b
    }
}

/// A series pushed sample by sample, kept as at most `2 × max_buckets`
/// points: while it has at most `max_buckets` samples, every sample; after
/// that, buckets of 2, 4, 8, … consecutive samples (doubled when full),
/// each drawn as its lowest and highest sample in time order.
#[derive(Debug, Clone)]
pub struct Envelope {
    max_buckets: usize,
    /// Samples per bucket.
    width: usize,
    buckets: Vec<Bucket>,
    /// Samples in the last bucket.
    in_last: usize,
}

impl Envelope {
    /// An empty series kept in at most `max_buckets` buckets (rounded down
    /// to an even number, at least 2).
    pub fn new(max_buckets: usize) -> Self {
        let max_buckets = max_buckets.max(2) & !1;
        Envelope {
            max_buckets,
            width: 1,
            buckets: Vec::with_capacity(max_buckets),
            in_last: 0,
        }
    }

    /// The next sample (times increasing).
    pub fn push(&mut self, t: f64, v: f64) {
        match self.buckets.last_mut() {
            Some(b) if self.in_last < self.width => {
                b.add(t, v);
                self.in_last += 1;
            }
            _ => {
                if self.buckets.len() == self.max_buckets {
                    // pairs of full buckets: the merged ones are full too
                    self.buckets = self
                        .buckets
                        .chunks_exact(2)
                        .map(|p| p[0].merge(p[1]))
                        .collect();
                    self.width *= 2;
                }
                self.buckets.push(Bucket::of(t, v));
                self.in_last = 1;
            }
        }
    }

    /// The points to draw, in time order: `(t, value)`.
    pub fn points(&self) -> (Vec<f64>, Vec<f64>) {
        let (mut t, mut v) = (Vec::new(), Vec::new());
        for b in &self.buckets {
            let (a, c) = if b.lo.0 <= b.hi.0 {
                (b.lo, b.hi)
            } else {
                (b.hi, b.lo)
            };
            t.push(a.0);
            v.push(a.1);
            if c.0 != a.0 {
                t.push(c.0);
                v.push(c.1);
            }
        }
        (t, v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_samples_do_not_hide_a_buckets_extremes() {
        let mut e = Envelope::new(2);
        for (t, v) in [
            (0.0, 1.0),
            (1.0, 2.0),
            (2.0, f64::NAN),
            (3.0, 5.0),
            (4.0, -1.0),
        ] {
            e.push(t, v);
        }
        // at most 2 buckets: 1 and 2, then NaN and 5 (NaN left out), merged
        // into one bucket of 4 samples with -1 starting the next
        assert_eq!(e.points(), (vec![0.0, 3.0, 4.0], vec![1.0, 5.0, -1.0]));
    }

    #[test]
    fn a_short_series_is_kept_whole() {
        let mut e = Envelope::new(8);
        let ts: Vec<f64> = (0..8).map(f64::from).collect();
        let vs: Vec<f64> = ts.iter().map(|t| (t * 1.3).sin()).collect();
        ts.iter().zip(&vs).for_each(|(&t, &v)| e.push(t, v));
        assert_eq!(e.points(), (ts, vs));
    }

    #[test]
    fn a_long_series_keeps_every_bucket_extreme_in_bounded_points() {
        // 10 000 samples in at most 16 buckets: buckets of 1024 aligned
        // samples (16 × 512 < 10 000 <= 16 × 1024), each drawn as the lowest
        // and highest of its samples
        let n = 10_000;
        let series: Vec<(f64, f64)> = (0..n)
            .map(|k| (k as f64 * 0.1, ((k * 7919) % 1009) as f64 - 500.0))
            .collect();
        let mut e = Envelope::new(16);
        series.iter().for_each(|&(t, v)| e.push(t, v));
        let (t, v) = e.points();
        assert!(t.len() <= 32 && t.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(e.width, 1024);
        for (b, chunk) in series.chunks(1024).enumerate() {
            let lo = chunk.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
            let hi = chunk.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
            let (bt0, bt1) = (chunk[0].0, chunk[chunk.len() - 1].0);
            let inside: Vec<f64> = t
                .iter()
                .zip(&v)
                .filter(|(x, _)| **x >= bt0 && **x <= bt1)
                .map(|(_, y)| *y)
                .collect();
            assert!(inside.contains(&lo) && inside.contains(&hi), "bucket {b}");
            assert!(inside.iter().all(|y| *y >= lo && *y <= hi), "bucket {b}");
        }
    }
}
