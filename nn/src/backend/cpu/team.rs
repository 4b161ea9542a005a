//! A small team of spinning helper threads for the CPU backend's per-step kernels.
//!
//! One training step is a chain of about twenty kernels of 5 to 150 microseconds each. Handing
//! their halves to a sleeping rayon worker costs a futex wake-up per kernel (tens of microseconds
//! on a virtual machine, where an idle vCPU halts), and the worker falls asleep again in the
//! serial gaps. The team keeps `threads - 1` helpers spinning for a short while after each
//! job, as OpenMP runtimes do, so a kernel is handed over in well under a microsecond.
//!
//! A job is `n` tasks `f(0..n)`; the caller takes part, and tasks are claimed one at a time from
//! a shared counter, so a helper that is descheduled (a loaded machine) never holds the caller
//! up for more than the task it already claimed. Which thread runs a task never changes what the
//! task computes: results do not depend on the number of threads.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::thread::{self, JoinHandle, Thread};
use std::time::{Duration, Instant};

/// How long an idle helper spins before parking.
const SPIN: Duration = Duration::from_micros(100);

/// A job as the helpers see it: a borrowed closure, alive until every claimed task is done.
type Job<'a> = &'a (dyn Fn(usize) + Sync);

/// The state word: `epoch << 32 | tasks << 16 | next`, so a claim (a compare-exchange that
/// bumps `next`) fails for a helper that read an older job.
fn pack(epoch: u64, tasks: u64, next: u64) -> u64 {
    (epoch << 32) | (tasks << 16) | next
}

/// Most tasks one job may have.
pub(super) const MAX_TASKS: usize = u16::MAX as usize;

struct Shared {
    state: AtomicU64,
    /// Points at the caller's `Job` (a fat reference stored on its stack).
    job: AtomicPtr<Job<'static>>,
    done: AtomicUsize,
    sleeping: AtomicUsize,
    shutdown: AtomicBool,
}

impl Shared {
    /// Claims and runs one task of the current job; false when none is left.
    fn run_one(&self) -> bool {
        let s = self.state.load(Ordering::Acquire);
        let (tasks, next) = ((s >> 16) & 0xffff, s & 0xffff);
        if next >= tasks {
            return false;
        }
        let job = self.job.load(Ordering::Acquire);
        if self.state.compare_exchange(s, s + 1, Ordering::AcqRel, Ordering::Relaxed).is_err() {
            return true; // someone else claimed it, or a new job started: look again
        }
        // SAFETY: the claim succeeded for the job of this epoch, whose caller waits in `run`
        // until `done` counts this task, so the closure (and `job`, read after the state that
        // published it) is still alive.
        unsafe { (**job)(next as usize) };
        self.done.fetch_add(1, Ordering::Release);
        true
    }
}

/// The helpers of one [`super::CpuBackend`]; dropped with the last clone of the backend.
pub(super) struct Team {
    shared: Arc<Shared>,
    helpers: Vec<(JoinHandle<()>, Thread)>,
    busy: AtomicBool,
}

impl std::fmt::Debug for Team {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Team").field("helpers", &self.helpers.len()).finish()
    }
}

impl Team {
    /// A team of `threads - 1` helpers (none for one thread).
    pub(super) fn new(threads: usize) -> Team {
        let shared = Arc::new(Shared {
            state: AtomicU64::new(0),
            job: AtomicPtr::new(std::ptr::null_mut()),
            done: AtomicUsize::new(0),
            sleeping: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
        });
        let helpers = (1..threads.max(1))
            .filter_map(|i| {
                let shared = shared.clone();
                let handle =
                    thread::Builder::new().name(format!("oxlearn-nn-cpu-{i}")).spawn(move || helper(&shared)).ok()?;
                let thread = handle.thread().clone();
                Some((handle, thread))
            })
            .collect();
        Team { shared, helpers, busy: AtomicBool::new(false) }
    }

    /// Threads that take part in a job (the caller included).
    pub(super) fn threads(&self) -> usize {
        self.helpers.len() + 1
    }

    /// Runs `f(0..tasks)` on the caller and the helpers and returns when all are done. Runs
    /// everything on the caller when there are no helpers, one task, or the team is already
    /// busy (a nested or concurrent call).
    pub(super) fn run(&self, tasks: usize, f: &(dyn Fn(usize) + Sync)) {
        assert!(tasks <= MAX_TASKS, "too many tasks for one job");
        if self.helpers.is_empty() || tasks <= 1 || self.busy.swap(true, Ordering::Acquire) {
            (0..tasks).for_each(f);
            return;
        }
        let sh = &*self.shared;
        // SAFETY (lifetime): the pointer is only dereferenced by claims of this job, all of which
        // finish before this function returns.
        let job: Job<'static> = unsafe { std::mem::transmute::<Job<'_>, Job<'static>>(f) };
        sh.job.store(&job as *const Job<'static> as *mut Job<'static>, Ordering::Release);
        sh.done.store(0, Ordering::Relaxed);
        let epoch = (sh.state.load(Ordering::Relaxed) >> 32).wrapping_add(1) & 0xffff_ffff;
        sh.state.store(pack(epoch, tasks as u64, 0), Ordering::SeqCst);
        if sh.sleeping.load(Ordering::SeqCst) > 0 {
            for (_, t) in &self.helpers {
                t.unpark();
            }
        }
        while sh.run_one() {}
        let mut spins = 0u32;
        while sh.done.load(Ordering::Acquire) < tasks {
            spins += 1;
            if spins < 1 << 12 {
                std::hint::spin_loop();
            } else {
                thread::yield_now(); // a helper holding a task was descheduled
            }
        }
        self.busy.store(false, Ordering::Release);
    }
}

impl Drop for Team {
    fn drop(&mut self) {
        self.shared.shutdown.store(true, Ordering::SeqCst);
        for (handle, thread) in self.helpers.drain(..) {
            thread.unpark();
            let _ = handle.join();
        }
    }
}

fn helper(sh: &Shared) {
    loop {
        let idle_since = Instant::now();
        let mut spins = 0u32;
        loop {
            if sh.run_one() {
                break;
            }
            if sh.shutdown.load(Ordering::Relaxed) {
                return;
            }
            std::hint::spin_loop();
            spins += 1;
            if !spins.is_multiple_of(256) {
                continue;
            }
            if idle_since.elapsed() <= SPIN {
                // Polite spinning: let a thread that shares this core (the caller, on a loaded
                // machine) run; returns at once on an otherwise idle core.
                thread::yield_now();
            } else {
                // Park; the caller unparks after publishing when `sleeping` is set. Checking the
                // state again after announcing avoids a lost wake-up.
                sh.sleeping.fetch_add(1, Ordering::SeqCst);
                let s = sh.state.load(Ordering::SeqCst);
                if (s & 0xffff) >= ((s >> 16) & 0xffff) && !sh.shutdown.load(Ordering::SeqCst) {
                    thread::park_timeout(Duration::from_millis(50));
                }
                sh.sleeping.fetch_sub(1, Ordering::SeqCst);
                break;
            }
        }
        while sh.run_one() {}
    }
}
