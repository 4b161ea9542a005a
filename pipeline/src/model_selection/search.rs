//! [`GridSearchCV`] and [`RandomizedSearchCV`]: every candidate x fold fitted in parallel on
//! rayon (see the parallelism policy in [`validation`](super::validation)), the best candidate
//! refitted on all the data, results as a polars DataFrame.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

use ndarray::Array2;
use oxlearn_core::parallel::{effective_n_jobs, with_n_jobs};
use oxlearn_core::{Callback, DynEstimator, DynFitted, Error, EstimatorKind, Output, ParamValue, Progress, Result};
use polars::prelude::{DataFrame, NamedFrom, Series};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;

use super::split::{CrossValidator, KFold, StratifiedKFold};
use super::validation::{CvData, Problem, TaskResult, mean, run_task, scorers_of, std, task_estimator};
use crate::pipeline::FittedPipeline;
use crate::target::Target;

/// One candidate: parameter names and values.
pub type Candidate = Vec<(String, ParamValue)>;

#[derive(Debug, Clone)]
struct Settings {
    cv: Option<Arc<dyn CrossValidator>>,
    scoring: Vec<String>,
    n_jobs: Option<usize>,
    refit: bool,
    return_train_score: bool,
    groups: Option<Vec<i64>>,
    sample_weight: Option<Vec<f64>>,
    callback: Callback,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            cv: None,
            scoring: Vec::new(),
            n_jobs: None,
            refit: true,
            return_train_score: false,
            groups: None,
            sample_weight: None,
            callback: Callback::none(),
        }
    }
}

macro_rules! settings_setters {
    ($name:literal) => {
        /// Watches the search: called after each candidate x fold fit, from the thread that ran
        /// it, with `iteration` = fits done so far (1-based, in completion order), `total` = all
        /// fits, and the fit's first test score as metric `"test_score"`. Returning
        /// `ControlFlow::Break(())` stops the search: fits not yet started are skipped, their
        /// scores are NaN (so a candidate missing a fold never wins), and the refit (if any) uses
        /// the best complete candidate; with none complete there is no refit. Estimators inside
        /// keep their own callbacks.
        pub fn callback(mut self, callback: Callback) -> Self {
            self.settings.callback = callback;
            self
        }
        /// The cross-validation strategy (default: 5 stratified folds for classifiers, 5 folds
        /// otherwise).
        pub fn cv(mut self, cv: impl CrossValidator + 'static) -> Self {
            self.settings.cv = Some(Arc::new(cv));
            self
        }
        /// The scorer (default accuracy for classifiers, R^2 for regressors).
        pub fn scoring(mut self, name: &str) -> Self {
            self.settings.scoring = vec![name.to_string()];
            self
        }
        /// Several scorers; the first one ranks the candidates and picks the refit.
        pub fn scorings(mut self, names: &[&str]) -> Self {
            self.settings.scoring = names.iter().map(|s| s.to_string()).collect();
            self
        }
        /// Threads for candidates x folds (default `None`: the current rayon pool).
        pub fn n_jobs(mut self, n: usize) -> Self {
            self.settings.n_jobs = Some(n);
            self
        }
        /// Refit the best candidate on all the data (default true).
        pub fn refit(mut self, v: bool) -> Self {
            self.settings.refit = v;
            self
        }
        /// Also score the training folds (default false).
        pub fn return_train_score(mut self, v: bool) -> Self {
            self.settings.return_train_score = v;
            self
        }
        /// Group of each sample (for [`GroupKFold`](super::GroupKFold)).
        pub fn groups(mut self, groups: Vec<i64>) -> Self {
            self.settings.groups = Some(groups);
            self
        }
        /// Weight of each sample for every fit, the refit included (each fold's model gets its
        /// training rows' weights; scores are unweighted), scikit-learn's
        /// `search.fit(X, y, sample_weight=w)`. The estimator (a pipeline's last step) must
        /// take weights.
        pub fn sample_weight(mut self, sample_weight: Vec<f64>) -> Self {
            self.settings.sample_weight = Some(sample_weight);
            self
        }
        /// Runs the search on a DataFrame (the estimator must be a [`Pipeline`](crate::Pipeline)).
        ///
        /// # Errors
        /// `InvalidParam` for an unknown parameter or scorer, and the first failing fit.
        pub fn fit_frame(&self, df: &DataFrame, target: &str) -> Result<SearchResults> {
            run_search($name, &*self.estimator, self.candidates()?, CvData::frame(df, target), &self.settings)
        }
        /// Runs the search on a matrix and a target.
        ///
        /// # Errors
        /// As [`fit_frame`](Self::fit_frame).
        pub fn fit(&self, x: &Array2<f64>, y: impl Into<Target>) -> Result<SearchResults> {
            run_search($name, &*self.estimator, self.candidates()?, CvData::xy(x, y), &self.settings)
        }
    };
}

/// Exhaustive search over a grid of hyper-parameters, scikit-learn's `GridSearchCV`.
///
/// Parameters are addressed by name (`"alpha"`, or `"model__max_depth"` inside a pipeline) with
/// typed values (`[None, Some(4)]`, `[0.1, 1.0]`, `["rbf", "linear"]`). `.or()` starts another
/// grid (scikit-learn's list of dicts).
///
/// ```
/// use oxlearn_core::dummy::DummyRegressor;
/// use oxlearn_pipeline::{GridSearchCV, KFold};
/// let x = ndarray::Array2::from_shape_fn((20, 2), |(i, j)| (i * 2 + j) as f64);
/// let y = ndarray::Array1::from_shape_fn(20, |i| i as f64);
/// let search = GridSearchCV::new(DummyRegressor::default())
///     .param("strategy", ["mean", "median"])
///     .cv(KFold::new(4))
///     .scoring("neg_mean_absolute_error")
///     .fit(&x, &y)?;
/// assert_eq!(search.cv_results().height(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct GridSearchCV {
    estimator: Box<dyn DynEstimator>,
    grids: Vec<Vec<(String, Vec<ParamValue>)>>,
    settings: Settings,
}

impl GridSearchCV {
    /// A search over `estimator` (any estimator or a [`Pipeline`](crate::Pipeline)).
    pub fn new(estimator: impl DynEstimator + 'static) -> Self {
        GridSearchCV { estimator: Box::new(estimator), grids: vec![Vec::new()], settings: Settings::default() }
    }

    /// A search over a boxed estimator.
    pub fn new_boxed(estimator: Box<dyn DynEstimator>) -> Self {
        GridSearchCV { estimator, grids: vec![Vec::new()], settings: Settings::default() }
    }

    /// Adds a parameter and its values to the current grid.
    pub fn param<V: Into<ParamValue>>(mut self, name: &str, values: impl IntoIterator<Item = V>) -> Self {
        let values = values.into_iter().map(Into::into).collect();
        self.grids.last_mut().expect("at least one grid").push((name.to_string(), values));
        self
    }

    /// Starts another grid.
    pub fn or(mut self) -> Self {
        self.grids.push(Vec::new());
        self
    }

    /// Every candidate of the grids, in scikit-learn's order (last parameter varies fastest).
    ///
    /// # Errors
    /// `InvalidParam` for a parameter given without values.
    pub fn candidates(&self) -> Result<Vec<Candidate>> {
        let mut all = Vec::new();
        for grid in &self.grids {
            if let Some((name, _)) = grid.iter().find(|(_, v)| v.is_empty()) {
                return Err(Error::invalid_param(name, "the grid gives it no values"));
            }
            let mut cands: Vec<Candidate> = vec![Vec::new()];
            for (name, values) in grid {
                cands = cands
                    .into_iter()
                    .flat_map(|c| {
                        values.iter().map(move |v| {
                            let mut c = c.clone();
                            c.push((name.clone(), v.clone()));
                            c
                        })
                    })
                    .collect();
            }
            all.extend(cands);
        }
        Ok(all)
    }

    settings_setters!("GridSearchCV");
}

/// A distribution to sample a hyper-parameter from in [`RandomizedSearchCV`].
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// One of these values, uniformly.
    Choice(Vec<ParamValue>),
    /// A real number uniform in `[low, high)`.
    Uniform(f64, f64),
    /// A real number whose logarithm is uniform in `[ln low, ln high)` (scikit-learn's
    /// `loguniform`).
    LogUniform(f64, f64),
    /// An integer uniform in `[low, high)` (scikit-learn's `randint`).
    IntUniform(i64, i64),
}

impl Distribution {
    fn check(&self, name: &str) -> Result<()> {
        let ok = match self {
            Distribution::Choice(v) => !v.is_empty(),
            Distribution::Uniform(a, b) => a.is_finite() && b.is_finite() && a < b,
            Distribution::LogUniform(a, b) => a.is_finite() && b.is_finite() && *a > 0.0 && a < b,
            Distribution::IntUniform(a, b) => a < b,
        };
        if ok { Ok(()) } else { Err(Error::invalid_param(name, format!("invalid distribution {self:?}"))) }
    }

    fn sample(&self, rng: &mut Xoshiro256PlusPlus) -> ParamValue {
        match self {
            Distribution::Choice(v) => v[rng.gen_range(0..v.len())].clone(),
            Distribution::Uniform(a, b) => ParamValue::Float(rng.gen_range(*a..*b)),
            Distribution::LogUniform(a, b) => ParamValue::Float(rng.gen_range(a.ln()..b.ln()).exp()),
            Distribution::IntUniform(a, b) => ParamValue::Int(rng.gen_range(*a..*b)),
        }
    }
}

/// Search over `n_iter` random candidates, scikit-learn's `RandomizedSearchCV`. When every
/// parameter is a list of values and the grid has at most `n_iter` points, every point is tried
/// once; otherwise lists are sampled with replacement. Defaults: `n_iter(10)`, seed 0.
#[derive(Debug, Clone)]
pub struct RandomizedSearchCV {
    estimator: Box<dyn DynEstimator>,
    dists: Vec<(String, Distribution)>,
    n_iter: usize,
    seed: u64,
    settings: Settings,
}

impl RandomizedSearchCV {
    /// A search over `estimator`.
    pub fn new(estimator: impl DynEstimator + 'static) -> Self {
        RandomizedSearchCV {
            estimator: Box::new(estimator),
            dists: Vec::new(),
            n_iter: 10,
            seed: 0,
            settings: Settings::default(),
        }
    }
    /// A parameter sampled from a list of values.
    pub fn param<V: Into<ParamValue>>(mut self, name: &str, values: impl IntoIterator<Item = V>) -> Self {
        self.dists.push((name.to_string(), Distribution::Choice(values.into_iter().map(Into::into).collect())));
        self
    }
    /// A parameter sampled from a distribution.
    pub fn param_dist(mut self, name: &str, dist: Distribution) -> Self {
        self.dists.push((name.to_string(), dist));
        self
    }
    /// Number of candidates (default 10).
    pub fn n_iter(mut self, n: usize) -> Self {
        self.n_iter = n;
        self
    }
    /// Seed of the sampling (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// The sampled candidates.
    ///
    /// # Errors
    /// `InvalidParam` for an empty or invalid distribution or `n_iter == 0`.
    pub fn candidates(&self) -> Result<Vec<Candidate>> {
        if self.n_iter == 0 {
            return Err(Error::invalid_param("n_iter", "must be at least 1, got 0"));
        }
        for (name, d) in &self.dists {
            d.check(name)?;
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let all_lists = self.dists.iter().all(|(_, d)| matches!(d, Distribution::Choice(_)));
        if all_lists {
            let mut grid = GridSearchCV::new_boxed(self.estimator.clone());
            for (name, d) in &self.dists {
                if let Distribution::Choice(v) = d {
                    grid = grid.param(name, v.clone());
                }
            }
            let mut cands = grid.candidates()?;
            if cands.len() <= self.n_iter {
                return Ok(cands);
            }
            cands.shuffle(&mut rng);
            cands.truncate(self.n_iter);
            return Ok(cands);
        }
        Ok((0..self.n_iter)
            .map(|_| self.dists.iter().map(|(n, d)| (n.clone(), d.sample(&mut rng))).collect())
            .collect())
    }

    settings_setters!("RandomizedSearchCV");
}

/// What a search returns: every candidate's fold scores, the best candidate and (with refit)
/// the best model fitted on all the data.
#[derive(Debug, Clone)]
pub struct SearchResults {
    candidates: Vec<Candidate>,
    scorers: Vec<String>,
    /// `[candidate][scorer][fold]`.
    test: Vec<Vec<Vec<f64>>>,
    train: Option<Vec<Vec<Vec<f64>>>>,
    fit_time: Vec<Vec<f64>>,
    score_time: Vec<Vec<f64>>,
    best_index: usize,
    best_estimator: Option<Box<dyn DynFitted>>,
    refit_time: f64,
}

impl SearchResults {
    /// The candidates, in the order tried.
    pub fn candidates(&self) -> &[Candidate] {
        &self.candidates
    }
    /// Index of the best candidate (highest mean test score of the first scorer; the first such
    /// candidate on ties, as scikit-learn).
    pub fn best_index(&self) -> usize {
        self.best_index
    }
    /// The best candidate's parameters.
    pub fn best_params(&self) -> &[(String, ParamValue)] {
        &self.candidates[self.best_index]
    }
    /// The best candidate's mean test score.
    pub fn best_score(&self) -> f64 {
        mean(&self.test[self.best_index][0])
    }
    /// Mean test score of each candidate (first scorer).
    pub fn mean_test_scores(&self) -> Vec<f64> {
        self.test.iter().map(|t| mean(&t[0])).collect()
    }
    /// The best candidate refitted on all the data (`None` with `refit(false)`).
    pub fn best_estimator(&self) -> Option<&dyn DynFitted> {
        self.best_estimator.as_deref()
    }
    /// The refitted best pipeline (a search over a [`Pipeline`](crate::Pipeline)).
    pub fn best_pipeline(&self) -> Option<&FittedPipeline> {
        self.best_estimator()?.as_any().downcast_ref::<FittedPipeline>()
    }
    /// Seconds spent refitting the best candidate.
    pub fn refit_time(&self) -> f64 {
        self.refit_time
    }
    /// Predictions of the refitted best model on a frame (pipelines).
    ///
    /// # Errors
    /// `Unsupported` without a refitted pipeline, and prediction errors.
    pub fn predict_frame(&self, df: &DataFrame) -> Result<Output> {
        self.best_pipeline()
            .ok_or_else(|| Error::unsupported("SearchResults", "predict_frame"))?
            .predict_frame_output(df)
    }

    /// One row per candidate, columns as scikit-learn's `cv_results_`: `params`, `param_<name>`,
    /// `mean_fit_time`, `std_fit_time`, `mean_score_time`, `std_score_time`,
    /// `split<k>_test_score`, `mean_test_score`, `std_test_score`, `rank_test_score` (and
    /// `_train_` columns with `return_train_score`). With several scorers, `score` becomes the
    /// scorer's name (`mean_test_accuracy`).
    pub fn cv_results(&self) -> DataFrame {
        let n = self.candidates.len();
        let mut cols: Vec<polars::prelude::Column> = Vec::new();
        let params: Vec<String> = self
            .candidates
            .iter()
            .map(|c| {
                let inner: Vec<String> = c.iter().map(|(k, v)| format!("{k:?}: {v}")).collect();
                format!("{{{}}}", inner.join(", "))
            })
            .collect();
        cols.push(Series::new("params".into(), params).into());
        let mut names: Vec<&String> = Vec::new();
        for c in &self.candidates {
            for (k, _) in c {
                if !names.contains(&k) {
                    names.push(k);
                }
            }
        }
        for name in names {
            let v: Vec<Option<String>> =
                self.candidates.iter().map(|c| c.iter().find(|(k, _)| k == name).map(|(_, v)| v.to_string())).collect();
            cols.push(Series::new(format!("param_{name}").into(), v).into());
        }
        cols.push(
            Series::new("mean_fit_time".into(), self.fit_time.iter().map(|t| mean(t)).collect::<Vec<_>>()).into(),
        );
        cols.push(Series::new("std_fit_time".into(), self.fit_time.iter().map(|t| std(t)).collect::<Vec<_>>()).into());
        cols.push(
            Series::new("mean_score_time".into(), self.score_time.iter().map(|t| mean(t)).collect::<Vec<_>>()).into(),
        );
        cols.push(
            Series::new("std_score_time".into(), self.score_time.iter().map(|t| std(t)).collect::<Vec<_>>()).into(),
        );
        let multi = self.scorers.len() > 1;
        for (s, scorer) in self.scorers.iter().enumerate() {
            let suffix = if multi { scorer.as_str() } else { "score" };
            let mut add = |set: &str, data: &Vec<Vec<Vec<f64>>>| {
                let k = data.first().map_or(0, |d| d[s].len());
                for f in 0..k {
                    let v: Vec<f64> = data.iter().map(|d| d[s][f]).collect();
                    cols.push(Series::new(format!("split{f}_{set}_{suffix}").into(), v).into());
                }
                let means: Vec<f64> = data.iter().map(|d| mean(&d[s])).collect();
                cols.push(Series::new(format!("mean_{set}_{suffix}").into(), means.clone()).into());
                cols.push(
                    Series::new(
                        format!("std_{set}_{suffix}").into(),
                        data.iter().map(|d| std(&d[s])).collect::<Vec<_>>(),
                    )
                    .into(),
                );
                if set == "test" {
                    cols.push(Series::new(format!("rank_test_{suffix}").into(), rank(&means)).into());
                }
            };
            add("test", &self.test);
            if let Some(train) = &self.train {
                add("train", train);
            }
        }
        DataFrame::new(n, cols).expect("cv_results columns have distinct names and one row per candidate")
    }
}

/// scikit-learn's `rank_test_score`: 1 for the best, ties share the lowest rank ("min").
fn rank(means: &[f64]) -> Vec<i32> {
    means
        .iter()
        .map(|&m| {
            let key = |v: f64| if v.is_nan() { f64::NEG_INFINITY } else { v };
            1 + means.iter().filter(|&&o| key(o) > key(m)).count() as i32
        })
        .collect()
}

fn default_cv(est: &dyn DynEstimator) -> Arc<dyn CrossValidator> {
    match est.kind() {
        EstimatorKind::Classifier => Arc::new(StratifiedKFold::new(5)),
        _ => Arc::new(KFold::new(5)),
    }
}

fn run_search(
    name: &'static str,
    est: &dyn DynEstimator,
    candidates: Vec<Candidate>,
    data: CvData<'_>,
    s: &Settings,
) -> Result<SearchResults> {
    if candidates.is_empty() {
        return Err(Error::invalid_param("param_grid", "no candidates to search"));
    }
    let scoring: Vec<&str> = s.scoring.iter().map(String::as_str).collect();
    let scorers = scorers_of(est, &scoring)?;
    let problem = Problem::new(est, data)?.with_weights(est, s.sample_weight.as_deref())?;
    let cv = s.cv.clone().unwrap_or_else(|| default_cv(est));
    let folds = cv.split(problem.n_samples(), Some(&problem.y), s.groups.as_deref())?;
    let k = folds.len();
    let tasks: Vec<(usize, usize)> = (0..candidates.len()).flat_map(|c| (0..k).map(move |f| (c, f))).collect();
    let concurrent = tasks.len() > 1 && effective_n_jobs(s.n_jobs) > 1;
    // Parameter errors surface here, before any fit.
    let ests: Vec<Box<dyn DynEstimator>> =
        candidates.iter().map(|c| task_estimator(est, c, concurrent)).collect::<Result<_>>()?;
    tracing::info!(candidates = candidates.len(), folds = k, fits = tasks.len(), "search");
    let (done, started, stop) = (AtomicUsize::new(0), Instant::now(), AtomicBool::new(false));
    let results: Vec<Option<TaskResult>> = with_n_jobs(s.n_jobs, || {
        tasks
            .par_iter()
            .map(|&(c, f)| {
                if stop.load(Ordering::Relaxed) {
                    return Ok(None);
                }
                let _span = tracing::debug_span!("search_fit", candidate = c, fold = f).entered();
                let r = run_task(&problem, &*ests[c], &folds[f], &scorers, s.return_train_score);
                tracing::debug!(candidate = c, fold = f, ok = r.is_ok(), "candidate fold done");
                if let Ok(t) = &r {
                    let metrics = [("test_score", t.test.first().copied().unwrap_or(f64::NAN))];
                    let stop_requested = s.callback.report(&Progress {
                        estimator: name,
                        iteration: done.fetch_add(1, Ordering::Relaxed) + 1,
                        total: Some(tasks.len()),
                        loss: None,
                        metrics: &metrics,
                        elapsed: started.elapsed(),
                    });
                    if stop_requested {
                        tracing::info!(done = done.load(Ordering::Relaxed), "search stopped by its callback");
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                r.map(Some)
            })
            .collect::<Result<Vec<_>>>()
    })??;
    let n_s = scorers.len();
    // Fits skipped after the callback stopped the search score NaN.
    let ran: Vec<bool> = results.iter().map(Option::is_some).collect();
    let complete = |c: usize| (0..k).all(|f| ran[c * k + f]);
    let results: Vec<TaskResult> = results.into_iter().map(|r| r.unwrap_or_else(|| TaskResult::skipped(n_s))).collect();
    let per = |c: usize, get: &dyn Fn(&TaskResult) -> Vec<f64>| -> Vec<Vec<f64>> {
        (0..n_s).map(|si| (0..k).map(|f| get(&results[c * k + f])[si]).collect()).collect()
    };
    let test: Vec<Vec<Vec<f64>>> = (0..candidates.len()).map(|c| per(c, &|r| r.test.clone())).collect();
    let train = s.return_train_score.then(|| {
        (0..candidates.len()).map(|c| per(c, &|r| r.train.clone().unwrap_or_else(|| vec![f64::NAN; n_s]))).collect()
    });
    let fit_time = (0..candidates.len()).map(|c| (0..k).map(|f| results[c * k + f].fit_time).collect()).collect();
    let score_time = (0..candidates.len()).map(|c| (0..k).map(|f| results[c * k + f].score_time).collect()).collect();
    let means: Vec<f64> = test.iter().map(|t| mean(&t[0])).collect();
    // The first candidate with the highest mean score; NaN scores never win.
    let best_index = (0..means.len())
        .filter(|&i| !means[i].is_nan())
        .fold(None::<usize>, |best, i| match best {
            Some(b) if means[b] >= means[i] => Some(b),
            _ => Some(i),
        })
        .unwrap_or_else(|| (0..candidates.len()).find(|&c| complete(c)).unwrap_or(0));
    let (best_estimator, refit_time) = if s.refit && complete(best_index) {
        let t0 = Instant::now();
        // The refit has the pool to itself: let the estimator use its own parallelism.
        let best = task_estimator(est, &candidates[best_index], false)?;
        let all: Vec<usize> = (0..problem.n_samples()).collect();
        let fitted = with_n_jobs(s.n_jobs, || problem.fit(&*best, &all))??;
        (Some(fitted), t0.elapsed().as_secs_f64())
    } else {
        (None, 0.0)
    };
    Ok(SearchResults {
        candidates,
        scorers: scorers.iter().map(|s| s.name().to_string()).collect(),
        test,
        train,
        fit_time,
        score_time,
        best_index,
        best_estimator,
        refit_time,
    })
}
