//! A terminal progress bar for long fits (cargo feature `progress`): an [indicatif] bar that
//! implements the fit-callback hook ([`FitCallback`]), so it plugs into anything that reports
//! progress through a [`Callback`]:
//!
//! - MLP epochs (`MlpClassifier` / `MlpRegressor`, `total` = `max_iter`);
//! - iterative solvers (logistic regression, coordinate descent, linear SVC, SVC, k-means);
//! - searches ([`GridSearchCV`](crate::pipeline::GridSearchCV) /
//!   [`RandomizedSearchCV`](crate::pipeline::RandomizedSearchCV): one event per candidate x fold
//!   fit, `total` = all fits) and [`cross_validate_with`](crate::pipeline::cross_validate_with)
//!   (one event per fold, through `CvOptions::callback`);
//! - forests, where the forest reports a callback event per tree;
//! - streaming feature jobs ([`FeatureJob::callback`](crate::preprocessing::FeatureJob::callback):
//!   one event per wave of chunks, `iteration` = chunks done; the total is unknown while
//!   streaming, so the bar shows a count).
//!
//! Each event moves the bar to its `iteration` (never backwards, so events arriving out of order
//! from parallel workers are fine), sets its length from `total` when known, and shows the
//! reporter, the loss and the metrics. The bar never asks a fit to stop.
//!
//! ```
//! use oxlearn::prelude::*;
//! use oxlearn::progress::ProgressBar;
//!
//! let digits = oxlearn::datasets::digits();
//! // `ProgressBar::new()` draws on stderr; `hidden()` (used here) counts without drawing.
//! let bar = ProgressBar::hidden();
//! let model = MlpClassifier::default().max_iter(5).seed(0).device(Device::Cpu).callback(bar.callback());
//! let fitted = model.fit(&digits.x, &digits.y)?;
//! bar.finish();
//! assert_eq!(bar.events(), fitted.n_iter());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use oxlearn_core::{Callback, FitCallback, Progress};

/// A progress bar fed by fit callbacks. Cheap to clone: clones share the bar and its counter.
#[derive(Clone)]
pub struct ProgressBar {
    bar: indicatif::ProgressBar,
    events: Arc<AtomicUsize>,
}

impl fmt::Debug for ProgressBar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProgressBar").field("events", &self.events()).field("position", &self.bar.position()).finish()
    }
}

impl Default for ProgressBar {
    fn default() -> Self {
        ProgressBar::new()
    }
}

impl ProgressBar {
    /// A bar drawn on stderr (its length is set by the first event that knows its total).
    pub fn new() -> Self {
        let bar = indicatif::ProgressBar::no_length();
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}")
                .expect("a valid template"),
        );
        ProgressBar::with_bar(bar)
    }

    /// A bar that draws nothing but still counts (tests, logs-only runs).
    pub fn hidden() -> Self {
        ProgressBar::with_bar(indicatif::ProgressBar::hidden())
    }

    /// Wraps an indicatif bar of your own (style, draw target, a `MultiProgress` member).
    pub fn with_bar(bar: indicatif::ProgressBar) -> Self {
        ProgressBar { bar, events: Arc::new(AtomicUsize::new(0)) }
    }

    /// The callback to hand to an estimator's or a search's `.callback(..)`.
    pub fn callback(&self) -> Callback {
        Callback::new(self.clone())
    }

    /// Number of progress events seen so far.
    pub fn events(&self) -> usize {
        self.events.load(Ordering::Relaxed)
    }

    /// The underlying indicatif bar.
    pub fn bar(&self) -> &indicatif::ProgressBar {
        &self.bar
    }

    /// Marks the bar finished, leaving it on screen.
    pub fn finish(&self) {
        self.bar.finish();
    }
}

impl FitCallback for ProgressBar {
    fn on_iteration(&self, p: &Progress<'_>) -> ControlFlow<()> {
        self.events.fetch_add(1, Ordering::Relaxed);
        if let Some(total) = p.total
            && self.bar.length() != Some(total as u64)
        {
            self.bar.set_length(total as u64);
        }
        let pos = p.iteration as u64;
        if pos > self.bar.position() {
            self.bar.set_position(pos);
        }
        let mut msg = p.estimator.to_string();
        if let Some(loss) = p.loss {
            msg.push_str(&format!(" loss {loss:.4}"));
        }
        for (name, v) in p.metrics {
            msg.push_str(&format!(" {name} {v:.4}"));
        }
        self.bar.set_message(msg);
        ControlFlow::Continue(())
    }
}
