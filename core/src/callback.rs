//! Observability for iterative fits: a callback that sees each iteration or epoch and can stop
//! the fit. The library itself never prints; it emits `tracing` events.

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

/// What an iterative fit reports after each iteration (solver step, epoch, tree, fold).
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// The estimator reporting.
    pub estimator: &'static str,
    /// 1-based iteration number.
    pub iteration: usize,
    /// Total iterations planned, where known.
    pub total: Option<usize>,
    /// The training loss (or the objective), where there is one.
    pub loss: Option<f64>,
    /// Other named metrics (validation score, duality gap, ...).
    pub metrics: &'a [(&'static str, f64)],
    /// Time since the fit started.
    pub elapsed: Duration,
}

/// Watches an iterative fit. Returning `ControlFlow::Break(())` stops the fit after the current
/// iteration; the model fitted so far is returned and marked as not converged.
pub trait FitCallback: Send + Sync {
    /// Called after every iteration.
    fn on_iteration(&self, progress: &Progress<'_>) -> ControlFlow<()>;
}

impl<F> FitCallback for F
where
    F: Fn(&Progress<'_>) -> ControlFlow<()> + Send + Sync,
{
    fn on_iteration(&self, progress: &Progress<'_>) -> ControlFlow<()> {
        self(progress)
    }
}

/// A callback held by a params struct: cloneable, printable, skipped by serde.
#[derive(Clone, Default)]
pub struct Callback(Option<Arc<dyn FitCallback>>);

impl Callback {
    /// Wraps a callback.
    pub fn new(f: impl FitCallback + 'static) -> Self {
        Callback(Some(Arc::new(f)))
    }

    /// No callback.
    pub fn none() -> Self {
        Callback(None)
    }

    /// Reports one iteration: emits a `tracing` event and asks the callback whether to go on.
    /// Returns `true` when the fit should stop.
    pub fn report(&self, progress: &Progress<'_>) -> bool {
        tracing::debug!(
            estimator = progress.estimator,
            iteration = progress.iteration,
            loss = progress.loss,
            "iteration"
        );
        match &self.0 {
            Some(cb) => cb.on_iteration(progress).is_break(),
            None => false,
        }
    }
}

impl fmt::Debug for Callback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Callback(Some(..))" } else { "Callback(None)" })
    }
}

impl PartialEq for Callback {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_can_stop() {
        let cb = Callback::new(
            |p: &Progress<'_>| {
                if p.iteration >= 3 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
            },
        );
        let mut stopped_at = None;
        for it in 1..10 {
            let p = Progress {
                estimator: "X",
                iteration: it,
                total: None,
                loss: None,
                metrics: &[],
                elapsed: Duration::ZERO,
            };
            if cb.report(&p) {
                stopped_at = Some(it);
                break;
            }
        }
        assert_eq!(stopped_at, Some(3));
        assert!(!Callback::none().report(&Progress {
            estimator: "X",
            iteration: 1,
            total: None,
            loss: None,
            metrics: &[],
            elapsed: Duration::ZERO
        }));
    }
}
