//! Progress on stderr: indicatif bars on a terminal, plain lines otherwise.
//!
//! The time left is this module's own estimate, not indicatif's: the
//! stage's instances still to do times the mean wall time per instance run
//! so far (the time since the stage's first instance finished running,
//! spread over the instances run since). Fresh instances take no time and
//! do not count, and nothing is shown until an instance has run, so the
//! estimate neither starts at 0 s nor swings with one quick or slow
//! instance. Off a terminal, each instance that ran is a line, and each
//! stage ends with one summary line (a rerun with nothing to do prints one
//! line per stage, not one per fresh instance).

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Per stage: instances done, of which run, and when the first run one
/// finished (the rate is measured from there).
#[derive(Debug, Clone, Default)]
struct Count {
    done: u64,
    ran: u64,
    first_ran: Option<Instant>,
}

pub(crate) struct Progress {
    bars: Option<(MultiProgress, Vec<ProgressBar>)>,
    names: Vec<String>,
    totals: Vec<u64>,
    counts: Mutex<Vec<Count>>,
    start: Instant,
    quiet: bool,
}

/// `1h 02m`, `3m 20s`, `42 s`.
fn duration(s: f64) -> String {
    let s = s.max(0.0).round() as u64;
    if s >= 3600 {
        format!("{}h {:02}m", s / 3600, (s % 3600) / 60)
    } else if s >= 60 {
        format!("{}m {:02}s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// Seconds left for `left` instances, from `ran` instances run in the
/// `since` seconds after the first of them finished: None before there is
/// a rate to go by.
pub(crate) fn eta_s(left: u64, ran: u64, since: f64) -> Option<f64> {
    // the first instance run starts the clock; its own time is unknown
    if ran < 2 || since <= 0.0 {
        return None;
    }
    Some(left as f64 * since / (ran - 1) as f64)
}

impl Progress {
    pub(crate) fn new(names: Vec<String>, totals: Vec<u64>, quiet: bool) -> Self {
        let bars = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let mp = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix:>12} [{bar:30}] {pos}/{len} {elapsed_precise} {msg}",
            )
            .expect("valid template")
            .progress_chars("=> ");
            let bars = names
                .iter()
                .zip(&totals)
                .map(|(n, &t)| {
                    let b = mp.add(ProgressBar::new(t));
                    b.set_style(style.clone());
                    b.set_prefix(n.clone());
                    b
                })
                .collect();
            (mp, bars)
        });
        let n = names.len();
        Progress {
            bars,
            names,
            totals,
            counts: Mutex::new(vec![Count::default(); n]),
            start: Instant::now(),
            quiet,
        }
    }

    /// One instance of stage `i` finished (`ran` false when it was fresh).
    pub(crate) fn inc(&self, i: usize, label: &str, ran: bool) {
        let now = Instant::now();
        let c = {
            let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
            let c = &mut counts[i];
            c.done += 1;
            if ran {
                c.ran += 1;
                c.first_ran.get_or_insert(now);
            }
            c.clone()
        };
        let total = self.totals[i];
        let eta = c.first_ran.and_then(|t| {
            eta_s(
                total.saturating_sub(c.done),
                c.ran,
                now.duration_since(t).as_secs_f64(),
            )
        });
        let eta_text = match eta {
            Some(s) if c.done < total => format!("eta {}", duration(s)),
            _ => String::new(),
        };
        match &self.bars {
            Some((_, bars)) => {
                bars[i].inc(1);
                bars[i].set_message(format!("{eta_text} {label}").trim().to_string());
            }
            None if !self.quiet => {
                let elapsed = self.start.elapsed().as_secs_f64();
                let name = &self.names[i];
                if ran {
                    eprintln!(
                        "neurodyn: [{name}] {}/{total} done {label} ({elapsed:.1} s{})",
                        c.done,
                        if eta_text.is_empty() {
                            String::new()
                        } else {
                            format!(", {eta_text}")
                        }
                    );
                }
                if c.done == total {
                    eprintln!(
                        "neurodyn: [{name}] {total}/{total}: {} ran, {} fresh ({elapsed:.1} s)",
                        c.ran,
                        c.done - c.ran
                    );
                }
            }
            None => {}
        }
    }

    pub(crate) fn finish(&self) {
        if let Some((_, bars)) = &self.bars {
            for b in bars {
                b.finish();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{duration, eta_s};

    #[test]
    fn the_time_left_is_the_mean_pace_of_the_instances_run_times_those_left() {
        // nothing to go by before two instances have run
        assert_eq!(eta_s(10, 0, 0.0), None);
        assert_eq!(eta_s(10, 1, 5.0), None);
        // 4 instances in the 30 s after the first: 10 s each, 6 left
        assert_eq!(eta_s(6, 5, 40.0), Some(60.0));
        // a fast instance moves the estimate by its share only: 9 in 90 s
        // after the first, then one more 1 s later
        let before = eta_s(10, 10, 90.0).unwrap();
        let after = eta_s(9, 11, 91.0).unwrap();
        assert!((before - 100.0).abs() < 1e-9 && (after - 81.9).abs() < 1e-9);
        assert_eq!(duration(42.4), "42 s");
        assert_eq!(duration(200.0), "3m 20s");
        assert_eq!(duration(3725.0), "1h 02m");
    }
}
