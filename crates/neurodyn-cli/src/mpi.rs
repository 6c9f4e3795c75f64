//! `mpirun -np K neurodyn run PIPELINE` (cargo feature `mpi`): the ranks
//! share one sweep.
//!
//! - Rank 0 does the housekeeping of a plain run (temporaries of ended
//!   processes, partitions that left the sweep), then tells the others to go.
//! - Rank 0 deals the sweep points that are not fresh, one at a time, in
//!   sweep order, to whichever rank asks next (its own worker threads
//!   included), and shows the progress of the whole job.
//! - Once every rank has said it is done, rank 0 runs the stages across the
//!   sweep, if no rank failed, and tells every rank the outcome.
//! - A failure anywhere stops the dealing; the points under way finish.
//!   Rank 0 prints the error (a failing rank sends it its message), every
//!   rank waits at a barrier until it has, and then every rank exits
//!   non-zero. A rerun completes only what is missing.
//!
//! Only the main thread of a rank calls MPI (`MPI_THREAD_FUNNELED`): worker
//! threads ask it for points through a channel. Waits that may be long
//! (for the start, and for the end while rank 0 runs the aggregate stages)
//! poll with a sleep, so that an idle rank does not spin on a core.
//!
//! A point's data depend on the sweep and the master seed only, never on
//! which rank ran it: the job writes the same bits as one process.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use mpi::Threading;
use mpi::point_to_point::{Message, Status};
use mpi::topology::SimpleCommunicator;
use mpi::traits::*;
use neurodyn_pipeline::{Dealer, Plan, Run, RunOptions, RunReport};

/// Worker → 0: \[\] (first ask) or \[k, stage, ran, stage, ran, …\] (point
/// k finished), and give me the next point.
const ASK: i32 = 1;
/// 0 → worker: \[k\], or \[\] for no more points.
const DEAL: i32 = 2;
/// Worker → 0: a point failed here, with this message (bytes); deal no more.
const STOP: i32 = 3;
/// Worker → 0: \[\]; this rank has finished its points.
const BYE: i32 = 4;
/// 0 → worker: \[1\] go, \[0\] rank 0 could not start the run.
const GO: i32 = 5;
/// 0 → worker: \[1\] the job succeeded, \[0\] it failed (rank 0 prints why).
const END: i32 = 6;

/// Whether an MPI launcher (`mpirun`, `mpiexec`, `srun`) started this
/// process: then `neurodyn run` joins the job's ranks.
pub(crate) fn launched() -> bool {
    [
        "OMPI_COMM_WORLD_SIZE",
        "PMI_SIZE",
        "PMIX_RANK",
        "MPI_LOCALNRANKS",
    ]
    .iter()
    .any(|v| std::env::var_os(v).is_some())
}

/// This process's rank as its launcher sets it in the environment, before
/// MPI is initialised (None: not started by an MPI launcher, or one that
/// names the rank otherwise).
pub(crate) fn launcher_rank() -> Option<u32> {
    ["OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"]
        .iter()
        .find_map(|v| std::env::var(v).ok()?.parse().ok())
}

/// The error of a failed job, printed by rank 0 already.
#[derive(Debug)]
pub(crate) struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the MPI job failed (rank 0 printed why)")
    }
}

impl std::error::Error for Reported {}

/// What a rank has to show once the job has ended well.
pub(crate) struct Ranked {
    /// This rank, and the job's number of ranks.
    pub rank: i32,
    pub size: i32,
    /// What this rank's run did (rank 0: the whole job's).
    pub report: RunReport,
}

/// Run `plan` as one rank of the MPI job that started this process.
/// Worker threads per rank: `--threads`, else 1 (one rank per core).
pub(crate) fn run(plan: &Plan<'_>, mut opts: RunOptions) -> Result<Ranked> {
    let (universe, level) = mpi::initialize_with_threading(Threading::Funneled)
        .ok_or_else(|| anyhow!("MPI was initialised twice"))?;
    if level < Threading::Funneled {
        bail!(
            "this MPI library gives threads no support ({level:?}); neurodyn needs MPI_THREAD_FUNNELED"
        );
    }
    let world = universe.world();
    let (rank, size) = (world.rank(), world.size());
    let threads = opts.threads.unwrap_or(1);
    opts.threads = Some(threads);
    let report = if rank == 0 {
        lead(&world, plan, opts, threads)
    } else {
        opts.quiet = true;
        follow(&world, plan, opts, threads)
    };
    if let (0, Err(e)) = (rank, &report) {
        eprintln!("error: {e:#}");
    }
    // no rank exits before rank 0 has printed: the launcher ends the whole
    // job as soon as one rank exits non-zero
    world.barrier();
    // MPI_Finalize on every path, before the process exits
    drop(world);
    drop(universe);
    Ok(Ranked {
        rank,
        size,
        report: report.map_err(|_| Reported)?,
    })
}

/// The points rank 0 deals, and whether dealing has stopped.
struct Deck {
    queue: Mutex<VecDeque<usize>>,
    stopped: AtomicBool,
}

impl Deck {
    fn deal(&self) -> Option<usize> {
        if self.stopped.load(Ordering::SeqCst) {
            return None;
        }
        self.queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop_front()
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
    }
}

/// Rank 0's own worker threads take their points straight off the deck.
impl Dealer for Deck {
    fn next(&self, _finished: Option<(usize, &[(usize, bool)])>) -> Option<usize> {
        self.deal()
    }

    fn stop(&self, _why: &str) {
        // run_dealt returns the error itself
        Deck::stop(self);
    }
}

fn send(world: &SimpleCommunicator, to: i32, tag: i32, data: &[u64]) {
    world.process_at_rank(to).send_with_tag(data, tag);
}

/// Poll for a message from `from` with `tag`, sleeping between looks.
fn wait_for(world: &SimpleCommunicator, from: i32, tag: i32) -> Vec<u64> {
    loop {
        if let Some(m) = world
            .process_at_rank(from)
            .immediate_matched_probe_with_tag(tag)
        {
            return receive(m);
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn receive(m: (Message, Status)) -> Vec<u64> {
    m.matched_receive_vec::<u64>().0
}

/// Rank 0: housekeeping, dealing, the aggregate stages, the outcome.
fn lead(
    world: &SimpleCommunicator,
    plan: &Plan<'_>,
    opts: RunOptions,
    threads: usize,
) -> Result<RunReport> {
    let size = world.size();
    let started = Run::start(plan, opts, true);
    for r in 1..size {
        send(world, r, GO, &[started.is_ok() as u64]);
    }
    let run = started?;
    let deck = Deck {
        queue: Mutex::new(run.pending().into()),
        stopped: AtomicBool::new(false),
    };
    // the ranks that failed, with their messages
    let mut failed_ranks: Vec<(i32, String)> = Vec::new();
    let local = std::thread::scope(|sc| {
        let local = sc.spawn(|| run.run_dealt(&deck, threads));
        // serve the other ranks until each has said it is done
        let mut done = 0;
        while done < size - 1 {
            let Some(m) = world.any_process().immediate_matched_probe() else {
                std::thread::sleep(Duration::from_micros(200));
                continue;
            };
            let (from, tag) = (m.1.source_rank(), m.1.tag());
            if tag == STOP {
                let why = m.matched_receive_vec::<u8>().0;
                deck.stop();
                failed_ranks.push((from, String::from_utf8_lossy(&why).into_owned()));
                continue;
            }
            let data = receive(m);
            match tag {
                ASK => {
                    if let Some((&k, rest)) = data.split_first() {
                        let reached: Vec<(usize, bool)> = rest
                            .chunks_exact(2)
                            .map(|c| (c[0] as usize, c[1] != 0))
                            .collect();
                        run.count_remote(k as usize, &reached);
                    }
                    let next: Vec<u64> = deck.deal().map(|k| k as u64).into_iter().collect();
                    send(world, from, DEAL, &next);
                }
                BYE => done += 1,
                _ => {}
            }
        }
        local.join().expect("rank 0's worker threads")
    });
    let aggregates = match (&local, failed_ranks.is_empty()) {
        (Ok(()), true) => run.run_aggregates(),
        _ => Ok(()),
    };
    let succeeded = local.is_ok() && failed_ranks.is_empty() && aggregates.is_ok();
    for r in 1..size {
        send(world, r, END, &[succeeded as u64]);
    }
    let kept = "the other ranks stopped taking points. Completed instances are kept: run again to complete only what is missing";
    if let Err(e) = local {
        bail!("MPI rank 0 of {size}: {e}; {kept}");
    }
    if let Some((r, why)) = failed_ranks.first() {
        bail!("MPI rank {r} of {size}: {why}; {kept}");
    }
    aggregates.map_err(|e| anyhow!("MPI rank 0 of {size}: {e}"))?;
    Ok(run.finish())
}

/// A worker thread's request to its rank's main thread.
enum Request {
    /// The payload of [`ASK`], and where to put the point dealt.
    Ask(Vec<u64>, mpsc::Sender<Option<usize>>),
    /// The error of a failed point.
    Stop(String),
}

/// Worker threads of ranks other than 0 ask their main thread, which asks
/// rank 0.
struct Relay {
    to_main: Mutex<mpsc::Sender<Request>>,
}

impl Dealer for Relay {
    fn next(&self, finished: Option<(usize, &[(usize, bool)])>) -> Option<usize> {
        let mut ask = Vec::new();
        if let Some((k, reached)) = finished {
            ask.push(k as u64);
            for &(s, did) in reached {
                ask.extend([s as u64, did as u64]);
            }
        }
        let (tx, rx) = mpsc::channel();
        let sent = self
            .to_main
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(Request::Ask(ask, tx));
        sent.ok()?;
        rx.recv().ok().flatten()
    }

    fn stop(&self, why: &str) {
        let _ = self
            .to_main
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .send(Request::Stop(why.to_string()));
    }
}

/// A rank other than 0: wait for the go, run the points dealt, say done,
/// wait for the outcome.
fn follow(
    world: &SimpleCommunicator,
    plan: &Plan<'_>,
    opts: RunOptions,
    threads: usize,
) -> Result<RunReport> {
    if wait_for(world, 0, GO).first() != Some(&1) {
        bail!("rank 0 could not start the run (its error is above)");
    }
    let run = Run::start(plan, opts, false);
    let (tx, rx) = mpsc::channel::<Request>();
    let started = &run;
    let mine = std::thread::scope(|sc| {
        let worker = sc.spawn(move || {
            let relay = Relay {
                to_main: Mutex::new(tx),
            };
            match started {
                Ok(run) => run.run_dealt(&relay, threads).map_err(anyhow::Error::from),
                Err(e) => {
                    relay.stop(&e.to_string());
                    Ok(())
                }
            }
        });
        // until every worker thread has hung up
        for req in rx {
            match req {
                Request::Ask(ask, reply) => {
                    send(world, 0, ASK, &ask);
                    let (dealt, _) = world.process_at_rank(0).receive_vec_with_tag::<u64>(DEAL);
                    let _ = reply.send(dealt.first().map(|&k| k as usize));
                }
                Request::Stop(why) => world.process_at_rank(0).send_with_tag(why.as_bytes(), STOP),
            }
        }
        worker.join().expect("worker threads")
    });
    send(world, 0, BYE, &[]);
    let end = wait_for(world, 0, END);
    // rank 0 prints any error, this rank's included
    match (run, mine, end.first()) {
        (Ok(run), Ok(()), Some(1)) => Ok(run.finish()),
        _ => Err(anyhow!(Reported)),
    }
}
