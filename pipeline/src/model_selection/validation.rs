//! [`cross_validate`], [`cross_val_score`], [`cross_val_predict`], [`learning_curve`] and
//! [`validation_curve`], with folds run in parallel on rayon.
//!
//! Parallelism policy (also used by the searches): the folds (or candidates x folds) are the
//! parallel tasks, run on a pool of `n_jobs` threads (default: the current rayon pool). When more
//! than one task can run at once, every estimator inside gets `n_jobs = 1` (through
//! `set_param("n_jobs", 1)`, ignored by estimators without that parameter), so a parallel
//! forest or KNN never builds its own pool on top of the search's. Results never depend on the
//! thread count.

use std::time::Instant;

use ndarray::{Array2, ArrayView2, Axis};
use oxlearn_core::parallel::{effective_n_jobs, with_n_jobs};
use oxlearn_core::{DynEstimator, DynFitted, Error, EstimatorKind, Label, Output, ParamValue, Result};
use polars::prelude::{DataFrame, NamedFrom, Series};
use rayon::prelude::*;

use super::scoring::{Needs, Scorer};
use super::split::{CrossValidator, Fold, take_rows};
use crate::pipeline::{FittedPipeline, Pipeline, drop_column};
use crate::target::Target;

/// Features of a model-selection problem: a frame for a pipeline, or a matrix.
#[derive(Debug, Clone)]
pub(crate) enum Features<'a> {
    /// The feature columns and the name of the target column.
    Frame(DataFrame, String),
    Matrix(ArrayView2<'a, f64>),
}

/// Features and target, ready to be split.
#[derive(Debug, Clone)]
pub(crate) struct Problem<'a> {
    pub x: Features<'a>,
    pub y: Target,
    /// One weight per sample for every fit (each fold's training rows get theirs).
    pub weights: Option<ndarray::Array1<f64>>,
}

/// The data a model-selection function runs on.
#[derive(Debug, Clone)]
pub enum CvData<'a> {
    /// A DataFrame and the name of its target column.
    Frame(&'a DataFrame, &'a str),
    /// A matrix and its target.
    Xy(ArrayView2<'a, f64>, Target),
}

impl<'a> CvData<'a> {
    /// A frame and its target column.
    pub fn frame(df: &'a DataFrame, target: &'a str) -> Self {
        CvData::Frame(df, target)
    }
    /// A matrix and a target (`&Array1<f64>`, `&Array1<i64>`, `&Array1<Label>`, ...).
    pub fn xy(x: &'a ndarray::Array2<f64>, y: impl Into<Target>) -> Self {
        CvData::Xy(x.view(), y.into())
    }
}

impl<'a> Problem<'a> {
    pub(crate) fn new(est: &dyn DynEstimator, data: CvData<'a>) -> Result<Problem<'a>> {
        let kind = est.kind();
        match data {
            CvData::Frame(df, target) => {
                let y = Target::from_frame(df, target, kind)?;
                let features = drop_column(df, target)?;
                if est.as_any().is::<Pipeline>() {
                    Ok(Problem { x: Features::Frame(features, target.to_string()), y, weights: None })
                } else {
                    Err(Error::InvalidInput(format!(
                        "{} is not a Pipeline; convert the frame with oxlearn_datasets::xy_from_frame \
                         or wrap the estimator in a Pipeline",
                        est.name()
                    )))
                }
            }
            CvData::Xy(x, y) => {
                if y.len() != x.nrows() && !matches!(y, Target::None) {
                    return Err(Error::LengthMismatch {
                        estimator: est.name().into(),
                        x_rows: x.nrows(),
                        other: "y",
                        other_rows: y.len(),
                    });
                }
                Ok(Problem { x: Features::Matrix(x), y: y.for_kind(kind)?, weights: None })
            }
        }
    }

    /// Sets the sample weights every fit gets (their own rows of them): one per sample.
    pub(crate) fn with_weights(mut self, est: &dyn DynEstimator, weights: Option<&[f64]>) -> Result<Self> {
        if let Some(w) = weights {
            if w.len() != self.n_samples() {
                return Err(Error::LengthMismatch {
                    estimator: est.name().into(),
                    x_rows: self.n_samples(),
                    other: "sample_weight",
                    other_rows: w.len(),
                });
            }
            self.weights = Some(ndarray::Array1::from(w.to_vec()));
        }
        Ok(self)
    }

    pub(crate) fn n_samples(&self) -> usize {
        match &self.x {
            Features::Frame(df, _) => df.height(),
            Features::Matrix(x) => x.nrows(),
        }
    }

    fn rows(&self, idx: &[usize]) -> Result<Rows> {
        Ok(match &self.x {
            Features::Frame(df, _) => Rows::Frame(take_rows(df, idx)?),
            Features::Matrix(x) => Rows::Matrix(x.select(Axis(0), idx)),
        })
    }

    pub(crate) fn fit(&self, est: &dyn DynEstimator, idx: &[usize]) -> Result<Box<dyn DynFitted>> {
        let y = self.y.select(idx);
        let w = self.weights.as_ref().map(|w| w.select(Axis(0), idx));
        match self.rows(idx)? {
            Rows::Frame(df) => {
                let pipe = est
                    .as_any()
                    .downcast_ref::<Pipeline>()
                    .ok_or_else(|| Error::Other("internal: frame data without a pipeline".into()))?;
                let mut fitted = pipe.fit_frame_target_with(&df, y.view(), w.as_ref().map(|w| w.view()))?;
                // As `fit_frame`: the model knows its target, so `score_frame` works on it.
                if let Features::Frame(_, target) = &self.x {
                    fitted.set_target(target);
                }
                Ok(Box::new(fitted))
            }
            Rows::Matrix(x) => match &w {
                Some(w) => est.fit_weighted_dyn(x.view(), y.view(), w.view()),
                None => est.fit_dyn(x.view(), y.view()),
            },
        }
    }

    /// Predictions (and probabilities when a scorer needs them) on rows `idx`.
    pub(crate) fn predict(
        &self,
        model: &dyn DynFitted,
        idx: &[usize],
        proba: bool,
        pred: bool,
    ) -> Result<(Option<Output>, Option<Array2<f64>>)> {
        let rows = self.rows(idx)?;
        match rows {
            Rows::Frame(df) => {
                let pipe = model
                    .as_any()
                    .downcast_ref::<FittedPipeline>()
                    .ok_or_else(|| Error::Other("internal: frame data without a pipeline".into()))?;
                let p = if pred { Some(pipe.predict_frame_output(&df)?) } else { None };
                let q = if proba { Some(pipe.predict_proba_frame(&df)?) } else { None };
                Ok((p, q))
            }
            Rows::Matrix(x) => {
                let p = if pred { Some(model.predict_dyn(x.view())?) } else { None };
                let q = if proba { Some(model.predict_proba_dyn(x.view())?) } else { None };
                Ok((p, q))
            }
        }
    }

    /// Every scorer's value of `model` on rows `idx`.
    pub(crate) fn score(&self, model: &dyn DynFitted, idx: &[usize], scorers: &[Scorer]) -> Result<Vec<f64>> {
        let proba = scorers.iter().any(|s| s.needs() == Needs::Proba);
        let pred = scorers.iter().any(|s| s.needs() == Needs::Predict);
        let (p, q) = self.predict(model, idx, proba, pred)?;
        let y = self.y.select(idx);
        let classes = model.classes();
        scorers.iter().map(|s| s.score(&y, p.as_ref(), q.as_ref(), classes.as_deref())).collect()
    }
}

enum Rows {
    Frame(DataFrame),
    Matrix(Array2<f64>),
}

/// Options of [`cross_validate_with`] (and the searches).
#[derive(Debug, Clone, Default)]
pub struct CvOptions {
    /// Threads for the folds (default `None`: the current rayon pool).
    pub n_jobs: Option<usize>,
    /// Group of each sample, for [`GroupKFold`](super::GroupKFold).
    pub groups: Option<Vec<i64>>,
    /// Weight of each sample for the fits (each fold's model gets its training rows' weights;
    /// scores are unweighted), scikit-learn's `params={"sample_weight": w}`. The estimator (a
    /// pipeline's last step) must take weights ([`Tags::sample_weight`](oxlearn_core::estimator::Tags)).
    pub sample_weight: Option<Vec<f64>>,
    /// Also score each fold's training set (default false).
    pub return_train_score: bool,
    /// Watches the folds: called after each fold's fit and scoring (from the thread that ran
    /// it) with `estimator` = `"cross_validate"`, `iteration` = folds done so far, `total` = the
    /// number of folds and the fold's first test score as metric `"test_score"`. Returning
    /// `ControlFlow::Break` stops the run: folds not yet started are skipped and report NaN
    /// scores and times (folds already running finish).
    pub callback: oxlearn_core::Callback,
}

/// What [`cross_validate`] returns: per fold, the scores of each scorer and the timings.
#[derive(Debug, Clone, PartialEq)]
pub struct CvResults {
    /// The scorer names, in the order asked.
    pub scorers: Vec<String>,
    /// `test_scores[s][f]`: scorer `s` on fold `f`'s test set.
    pub test_scores: Vec<Vec<f64>>,
    /// Same on the training sets, when asked for.
    pub train_scores: Option<Vec<Vec<f64>>>,
    /// Seconds spent fitting, per fold.
    pub fit_time: Vec<f64>,
    /// Seconds spent scoring, per fold.
    pub score_time: Vec<f64>,
}

impl CvResults {
    /// The per-fold test scores of scorer `name`.
    pub fn test_score(&self, name: &str) -> Option<&[f64]> {
        let i = self.scorers.iter().position(|s| s == name)?;
        Some(&self.test_scores[i])
    }

    /// The mean test score of scorer `name`.
    pub fn mean(&self, name: &str) -> Option<f64> {
        self.test_score(name).map(mean)
    }

    /// The results as a DataFrame, one row per fold (`fit_time`, `score_time`,
    /// `test_<scorer>`, `train_<scorer>`), as pandas shows scikit-learn's dict.
    pub fn to_frame(&self) -> Result<DataFrame> {
        let mut cols = vec![
            Series::new("fit_time".into(), self.fit_time.clone()).into(),
            Series::new("score_time".into(), self.score_time.clone()).into(),
        ];
        for (i, s) in self.scorers.iter().enumerate() {
            cols.push(Series::new(format!("test_{s}").into(), self.test_scores[i].clone()).into());
            if let Some(t) = &self.train_scores {
                cols.push(Series::new(format!("train_{s}").into(), t[i].clone()).into());
            }
        }
        DataFrame::new(self.fit_time.len(), cols).map_err(|e| Error::Other(format!("cv results frame: {e}")))
    }
}

pub(crate) fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

pub(crate) fn std(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / v.len().max(1) as f64).sqrt()
}

pub(crate) fn scorers_of(est: &dyn DynEstimator, scoring: &[&str]) -> Result<Vec<Scorer>> {
    if scoring.is_empty() {
        let default = match est.kind() {
            EstimatorKind::Classifier => "accuracy",
            EstimatorKind::Regressor => "r2",
            k => {
                return Err(Error::invalid_param("scoring", format!("a {k:?} has no default score; name a scorer")));
            }
        };
        return Ok(vec![Scorer::new(default)?]);
    }
    scoring.iter().map(|s| Scorer::new(s)).collect()
}

/// One fitted-and-scored task.
pub(crate) struct TaskResult {
    pub test: Vec<f64>,
    pub train: Option<Vec<f64>>,
    pub fit_time: f64,
    pub score_time: f64,
}

impl TaskResult {
    /// A task skipped after a callback stopped the run: NaN scores and times.
    pub(crate) fn skipped(n_scorers: usize) -> TaskResult {
        TaskResult { test: vec![f64::NAN; n_scorers], train: None, fit_time: f64::NAN, score_time: f64::NAN }
    }
}

/// An estimator ready to run as one of several concurrent tasks (see the module policy).
pub(crate) fn task_estimator(
    est: &dyn DynEstimator,
    params: &[(String, ParamValue)],
    concurrent: bool,
) -> Result<Box<dyn DynEstimator>> {
    let mut e = est.clone_box();
    for (name, value) in params {
        e.set_param(name, value)?;
    }
    if concurrent {
        // Estimators without an `n_jobs` parameter refuse it; that is fine.
        let _ = e.set_param("n_jobs", &ParamValue::Int(1));
    }
    Ok(e)
}

pub(crate) fn run_task(
    problem: &Problem<'_>,
    est: &dyn DynEstimator,
    fold: &Fold,
    scorers: &[Scorer],
    train_score: bool,
) -> Result<TaskResult> {
    let t0 = Instant::now();
    let model = problem.fit(est, &fold.0)?;
    let fit_time = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let test = problem.score(&*model, &fold.1, scorers)?;
    let score_time = t1.elapsed().as_secs_f64();
    let train = if train_score { Some(problem.score(&*model, &fold.0, scorers)?) } else { None };
    Ok(TaskResult { test, train, fit_time, score_time })
}

/// Cross-validation of an estimator or pipeline: fits on each fold's training rows and scores
/// its test rows, folds in parallel, scikit-learn's `cross_validate`.
///
/// `data` is [`CvData::frame`] (for a [`Pipeline`]) or [`CvData::xy`]; `scoring` lists scorer
/// names (empty: accuracy for classifiers, R^2 for regressors).
///
/// # Errors
/// `InvalidParam` for an unknown scorer or an impossible split, and the first fold's fit or
/// scoring error.
pub fn cross_validate_with(
    est: &dyn DynEstimator,
    data: CvData<'_>,
    cv: &dyn CrossValidator,
    scoring: &[&str],
    opts: &CvOptions,
) -> Result<CvResults> {
    let scorers = scorers_of(est, scoring)?;
    let problem = Problem::new(est, data)?.with_weights(est, opts.sample_weight.as_deref())?;
    let folds = cv.split(problem.n_samples(), Some(&problem.y), opts.groups.as_deref())?;
    let concurrent = folds.len() > 1 && effective_n_jobs(opts.n_jobs) > 1;
    let est = task_estimator(est, &[], concurrent)?;
    let (done, started) = (std::sync::atomic::AtomicUsize::new(0), Instant::now());
    let stop = std::sync::atomic::AtomicBool::new(false);
    let n_s = scorers.len();
    let results: Vec<TaskResult> = with_n_jobs(opts.n_jobs, || {
        folds
            .par_iter()
            .enumerate()
            .map(|(i, fold)| {
                if stop.load(std::sync::atomic::Ordering::Relaxed) {
                    return Ok(TaskResult::skipped(n_s));
                }
                let _span = tracing::debug_span!("cv_fold", fold = i).entered();
                let r = run_task(&problem, &*est, fold, &scorers, opts.return_train_score);
                tracing::debug!(fold = i, ok = r.is_ok(), "fold done");
                if let Ok(t) = &r {
                    let metrics = [("test_score", t.test.first().copied().unwrap_or(f64::NAN))];
                    let stop_requested = opts.callback.report(&oxlearn_core::Progress {
                        estimator: "cross_validate",
                        iteration: done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1,
                        total: Some(folds.len()),
                        loss: None,
                        metrics: &metrics,
                        elapsed: started.elapsed(),
                    });
                    if stop_requested {
                        tracing::info!(fold = i, "cross_validate stopped by its callback");
                        stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    }
                }
                r
            })
            .collect::<Result<Vec<_>>>()
    })??;
    Ok(collect(scorers, results, opts.return_train_score))
}

fn collect(scorers: Vec<Scorer>, results: Vec<TaskResult>, train: bool) -> CvResults {
    let n_s = scorers.len();
    CvResults {
        scorers: scorers.iter().map(|s| s.name().to_string()).collect(),
        test_scores: (0..n_s).map(|s| results.iter().map(|r| r.test[s]).collect()).collect(),
        train_scores: train.then(|| {
            (0..n_s).map(|s| results.iter().map(|r| r.train.as_ref().map_or(f64::NAN, |t| t[s])).collect()).collect()
        }),
        fit_time: results.iter().map(|r| r.fit_time).collect(),
        score_time: results.iter().map(|r| r.score_time).collect(),
    }
}

/// [`cross_validate_with`] on a DataFrame with default options, the shape of scikit-learn's
/// `cross_validate(pipe, X, y, cv=..., scoring=[...])`.
///
/// # Errors
/// As [`cross_validate_with`].
pub fn cross_validate(
    est: &dyn DynEstimator,
    df: &DataFrame,
    target: &str,
    cv: impl CrossValidator,
    scoring: &[&str],
) -> Result<CvResults> {
    cross_validate_with(est, CvData::frame(df, target), &cv, scoring, &CvOptions::default())
}

/// [`cross_validate_with`] on a matrix and a target, default options.
///
/// # Errors
/// As [`cross_validate_with`].
pub fn cross_validate_xy(
    est: &dyn DynEstimator,
    x: &ndarray::Array2<f64>,
    y: impl Into<Target>,
    cv: impl CrossValidator,
    scoring: &[&str],
) -> Result<CvResults> {
    cross_validate_with(est, CvData::xy(x, y), &cv, scoring, &CvOptions::default())
}

/// The test scores of one scorer on each fold, scikit-learn's `cross_val_score`.
///
/// # Errors
/// As [`cross_validate_with`].
pub fn cross_val_score(
    est: &dyn DynEstimator,
    data: CvData<'_>,
    cv: impl CrossValidator,
    scoring: &str,
) -> Result<Vec<f64>> {
    let r = cross_validate_with(est, data, &cv, &[scoring], &CvOptions::default())?;
    Ok(r.test_scores.into_iter().next().unwrap_or_default())
}

/// Out-of-fold predictions: each sample predicted by the model that did not see it,
/// scikit-learn's `cross_val_predict`. The folds must partition the samples.
///
/// # Errors
/// `InvalidInput` when the folds do not cover every sample exactly once, and fit errors.
pub fn cross_val_predict(est: &dyn DynEstimator, data: CvData<'_>, cv: impl CrossValidator) -> Result<Output> {
    let problem = Problem::new(est, data)?;
    let n = problem.n_samples();
    let folds = cv.split(n, Some(&problem.y), None)?;
    let mut seen = vec![0u32; n];
    folds.iter().flat_map(|f| &f.1).for_each(|&i| seen[i] += 1);
    if seen.iter().any(|&c| c != 1) {
        return Err(Error::InvalidInput("cross_val_predict needs folds whose test sets partition the samples".into()));
    }
    let est = task_estimator(est, &[], folds.len() > 1 && rayon::current_num_threads() > 1)?;
    let parts: Vec<Output> = folds
        .par_iter()
        .map(|fold| {
            let model = problem.fit(&*est, &fold.0)?;
            let (p, _) = problem.predict(&*model, &fold.1, false, true)?;
            p.ok_or_else(|| Error::Other("internal: no prediction".into()))
        })
        .collect::<Result<_>>()?;
    let mut labels: Vec<Option<Label>> = vec![None; n];
    let mut values = vec![f64::NAN; n];
    let mut clusters = vec![0i64; n];
    let mut matrix: Option<Array2<f64>> = None;
    for (fold, out) in folds.iter().zip(parts) {
        match out {
            Output::Labels(l) => fold.1.iter().zip(l).for_each(|(&i, v)| labels[i] = Some(v)),
            Output::Values(v) => fold.1.iter().zip(v).for_each(|(&i, v)| values[i] = v),
            Output::Clusters(v) => fold.1.iter().zip(v).for_each(|(&i, v)| clusters[i] = v),
            Output::Matrix(m) => {
                let full = matrix.get_or_insert_with(|| Array2::zeros((n, m.ncols())));
                for (&i, row) in fold.1.iter().zip(m.rows()) {
                    full.row_mut(i).assign(&row);
                }
            }
        }
    }
    Ok(match est.kind() {
        EstimatorKind::Classifier => {
            Output::Labels(labels.into_iter().map(|l| l.expect("every sample predicted")).collect())
        }
        EstimatorKind::Regressor => Output::Values(values.into()),
        EstimatorKind::Clusterer => Output::Clusters(clusters.into()),
        EstimatorKind::Transformer => Output::Matrix(matrix.unwrap_or_else(|| Array2::zeros((n, 0)))),
    })
}

/// Scores for growing training sets, scikit-learn's `learning_curve`.
#[derive(Debug, Clone, PartialEq)]
pub struct LearningCurve {
    /// Absolute training-set sizes.
    pub train_sizes: Vec<usize>,
    /// `train_scores[i][f]`: size `i`, fold `f`, on the rows it was fitted on.
    pub train_scores: Vec<Vec<f64>>,
    /// `test_scores[i][f]`: size `i`, fold `f`, on the fold's test rows.
    pub test_scores: Vec<Vec<f64>>,
}

/// Fits on the first `fraction` of each fold's training rows, for each fraction in
/// `train_sizes` (in (0, 1]), scikit-learn's `learning_curve`.
///
/// # Errors
/// `InvalidParam` for a fraction outside (0, 1] or one giving no rows, and fit errors.
pub fn learning_curve(
    est: &dyn DynEstimator,
    data: CvData<'_>,
    cv: impl CrossValidator,
    train_sizes: &[f64],
    scoring: &str,
) -> Result<LearningCurve> {
    let scorers = vec![Scorer::new(scoring)?];
    let problem = Problem::new(est, data)?;
    let folds = cv.split(problem.n_samples(), Some(&problem.y), None)?;
    let n_train = folds.iter().map(|f| f.0.len()).min().unwrap_or(0);
    let sizes: Vec<usize> = train_sizes
        .iter()
        .map(|&s| {
            if !(s > 0.0 && s <= 1.0) {
                return Err(Error::invalid_param("train_sizes", format!("fractions must be in (0, 1], got {s}")));
            }
            let k = (s * n_train as f64).floor() as usize;
            if k == 0 {
                return Err(Error::invalid_param("train_sizes", format!("{s} of {n_train} rows is no row")));
            }
            Ok(k)
        })
        .collect::<Result<_>>()?;
    let tasks: Vec<(usize, usize)> = (0..sizes.len()).flat_map(|i| (0..folds.len()).map(move |f| (i, f))).collect();
    let est = task_estimator(est, &[], tasks.len() > 1 && rayon::current_num_threads() > 1)?;
    let results: Vec<TaskResult> = tasks
        .par_iter()
        .map(|&(i, f)| {
            let fold = (folds[f].0[..sizes[i]].to_vec(), folds[f].1.clone());
            run_task(&problem, &*est, &fold, &scorers, true)
        })
        .collect::<Result<_>>()?;
    let k = folds.len();
    Ok(LearningCurve {
        train_scores: (0..sizes.len())
            .map(|i| (0..k).map(|f| results[i * k + f].train.as_ref().map_or(f64::NAN, |t| t[0])).collect())
            .collect(),
        test_scores: (0..sizes.len()).map(|i| (0..k).map(|f| results[i * k + f].test[0]).collect()).collect(),
        train_sizes: sizes,
    })
}

/// Train and test scores for each value of one hyper-parameter, scikit-learn's
/// `validation_curve`: `(train_scores[v][f], test_scores[v][f])`.
///
/// # Errors
/// As [`cross_validate_with`], and `InvalidParam` from `set_param`.
#[allow(clippy::type_complexity)]
pub fn validation_curve(
    est: &dyn DynEstimator,
    data: CvData<'_>,
    cv: impl CrossValidator,
    param: &str,
    values: &[ParamValue],
    scoring: &str,
) -> Result<(Vec<Vec<f64>>, Vec<Vec<f64>>)> {
    let scorers = vec![Scorer::new(scoring)?];
    let problem = Problem::new(est, data)?;
    let folds = cv.split(problem.n_samples(), Some(&problem.y), None)?;
    let tasks: Vec<(usize, usize)> = (0..values.len()).flat_map(|i| (0..folds.len()).map(move |f| (i, f))).collect();
    let concurrent = tasks.len() > 1 && rayon::current_num_threads() > 1;
    let ests: Vec<Box<dyn DynEstimator>> = values
        .iter()
        .map(|v| task_estimator(est, &[(param.to_string(), v.clone())], concurrent))
        .collect::<Result<_>>()?;
    let results: Vec<TaskResult> = tasks
        .par_iter()
        .map(|&(i, f)| run_task(&problem, &*ests[i], &folds[f], &scorers, true))
        .collect::<Result<_>>()?;
    let k = folds.len();
    let pick = |train: bool| -> Vec<Vec<f64>> {
        (0..values.len())
            .map(|i| {
                (0..k)
                    .map(|f| {
                        let r = &results[i * k + f];
                        if train { r.train.as_ref().map_or(f64::NAN, |t| t[0]) } else { r.test[0] }
                    })
                    .collect()
            })
            .collect()
    };
    Ok((pick(true), pick(false)))
}
