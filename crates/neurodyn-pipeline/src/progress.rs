//! Progress on stderr: indicatif bars on a terminal, plain lines otherwise.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::Instant;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

pub(crate) struct Progress {
    bars: Option<(MultiProgress, Vec<ProgressBar>)>,
    names: Vec<String>,
    totals: Vec<u64>,
    done: Mutex<Vec<u64>>,
    start: Instant,
    quiet: bool,
}

impl Progress {
    pub(crate) fn new(names: Vec<String>, totals: Vec<u64>, quiet: bool) -> Self {
        let bars = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let mp = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{prefix:>12} [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta} {msg}",
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
            done: Mutex::new(vec![0; n]),
            start: Instant::now(),
            quiet,
        }
    }

    /// One instance of stage `i` finished (`ran` false when it was fresh).
    pub(crate) fn inc(&self, i: usize, label: &str, ran: bool) {
        let k = {
            let mut d = self.done.lock().expect("progress lock");
            d[i] += 1;
            d[i]
        };
        match &self.bars {
            Some((_, bars)) => {
                bars[i].inc(1);
                bars[i].set_message(label.to_string());
            }
            None if !self.quiet => {
                let elapsed = self.start.elapsed().as_secs_f64();
                eprintln!(
                    "neurodyn: [{}] {k}/{} {} {label} ({elapsed:.1} s)",
                    self.names[i],
                    self.totals[i],
                    if ran { "done" } else { "fresh" },
                );
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
