//! GaussianNB: scikit-learn's fitted attributes, linfa-bayes as an oracle, priors, errors.

use ndarray::{Axis, array};
use oxlearn_algorithms::{GaussianNB, NbBackend};
use oxlearn_core::prelude::*;

use crate::common;

#[test]
fn fits_sklearn_example() {
    // scikit-learn's GaussianNB docstring example.
    let x = array![[-1.0, -1.0], [-2.0, -1.0], [-3.0, -2.0], [1.0, 1.0], [2.0, 1.0], [3.0, 2.0]];
    let y = array![1, 1, 1, 2, 2, 2];
    let m = GaussianNB::default().fit(&x, &y).unwrap();
    assert_eq!(m.predict(&array![[-0.8, -1.0]]).unwrap().to_vec(), vec![1]);
    assert_eq!(m.class_prior().to_vec(), vec![0.5, 0.5]);
    assert_eq!(m.class_count().to_vec(), vec![3.0, 3.0]);
    assert_eq!(m.theta().row(0).to_vec(), vec![-2.0, -4.0 / 3.0]);
    // var_ = per-class population variance + 1e-9 * max feature variance (14 / 3 here).
    let eps = 1e-9 * 14.0 / 3.0;
    assert!((m.var()[[0, 0]] - (2.0 / 3.0 + eps)).abs() < 1e-15);
    assert!((m.epsilon() - eps).abs() < 1e-20);
}

#[test]
fn linfa_backend_agrees() {
    for name in ["iris", "wine", "breast_cancer", "digits"] {
        let data = common::load(name);
        let y = data.labels();
        let ours = GaussianNB::default().fit(&data.x, &y).unwrap();
        let linfa = GaussianNB::default().backend(NbBackend::Linfa).fit(&data.x, &y).unwrap();
        let a = ours.predict_proba(&data.x).unwrap();
        let b = linfa.predict_proba(&data.x).unwrap();
        let d = (&a - &b).mapv(f64::abs).fold(0.0, |m: f64, v| m.max(*v));
        assert!(d < 1e-6, "{name}: probabilities differ by {d}");
        assert_eq!(ours.predict(&data.x).unwrap(), linfa.predict(&data.x).unwrap(), "{name}");
    }
}

#[test]
fn priors_and_probabilities() {
    let data = common::load("iris");
    let y = data.labels();
    let m = GaussianNB::default().priors(vec![0.1, 0.1, 0.8]).fit(&data.x, &y).unwrap();
    assert_eq!(m.class_prior().to_vec(), vec![0.1, 0.1, 0.8]);
    let p = m.predict_proba(&data.x).unwrap();
    for row in p.axis_iter(Axis(0)) {
        assert!((row.sum() - 1.0).abs() < 1e-12);
    }
    // Far from the data the log-likelihoods are huge and negative: log-sum-exp keeps rows valid.
    let far = array![[1e4, -1e4, 1e4, 1e4]];
    for backend in [NbBackend::Native, NbBackend::Linfa] {
        let m = GaussianNB::default().backend(backend).fit(&data.x, &y).unwrap();
        let p = m.predict_proba(&far).unwrap();
        assert!((p.sum() - 1.0).abs() < 1e-12 && p.iter().all(|v| v.is_finite()), "{backend:?}: {p:?}");
    }
    let lp = GaussianNB::default().backend(NbBackend::Linfa).priors(vec![0.1, 0.1, 0.8]).fit(&data.x, &y).unwrap();
    let d = (&lp.predict_proba(&data.x).unwrap() - &p).mapv(f64::abs).fold(0.0, |m: f64, v| m.max(*v));
    assert!(d < 1e-6, "{d}");
}

#[test]
fn invalid_parameters_are_rejected() {
    let x = array![[0.0], [1.0], [2.0], [3.0]];
    let y = array![0, 0, 1, 1];
    for bad in [
        GaussianNB::default().var_smoothing(-1.0),
        GaussianNB::default().priors(vec![0.5, 0.6]),
        GaussianNB::default().priors(vec![1.5, -0.5]),
        GaussianNB::default().priors(vec![0.2, 0.3, 0.5]),
    ] {
        assert!(matches!(bad.fit(&x, &y), Err(Error::InvalidParam { .. })), "{bad:?}");
    }
    // A constant feature set does not give NaN.
    let xc = array![[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [1.0, 2.0]];
    let m = GaussianNB::default().fit(&xc, &y).unwrap();
    assert!(m.predict_proba(&xc).unwrap().iter().all(|v| v.is_finite()));
}
