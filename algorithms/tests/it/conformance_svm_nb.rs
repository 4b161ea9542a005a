//! Conformance registrations of the support vector machines and naive Bayes (every public
//! estimator and backend).

use oxlearn_algorithms::{
    DecisionFunctionShape, Gamma, GaussianNB, LinearSVC, NbBackend, SVC, SVR, SvmBackend, SvmKernel,
};

oxlearn_core::check_estimator!(svc, SVC::default(),
invalid: [
    SVC::default().c(0.0),
    SVC::default().c(-1.0),
    SVC::default().tol(0.0),
    SVC::default().cache_size(-1.0),
    SVC::default().degree(-2),
    SVC::default().gamma(Gamma::Value(-1.0)),
    SVC::default().max_iter(Some(0)),
]);
oxlearn_core::check_estimator!(svc_probability, SVC::default().probability(true).seed(0));
oxlearn_core::check_estimator!(
    svc_linear_ovo,
    SVC::default().kernel(SvmKernel::Linear).decision_function_shape(DecisionFunctionShape::Ovo).shrinking(false)
);
oxlearn_core::check_estimator!(svc_poly, SVC::default().kernel(SvmKernel::Poly).gamma(Gamma::Auto).coef0(1.0));
oxlearn_core::check_estimator!(svc_sigmoid, SVC::default().kernel(SvmKernel::Sigmoid).gamma(Gamma::Value(0.01)));
oxlearn_core::check_estimator!(svc_linfa, SVC::default().backend(SvmBackend::Linfa),
    invalid: [SVC::default().backend(SvmBackend::Linfa).kernel(SvmKernel::Sigmoid)]);
oxlearn_core::check_estimator!(svr, SVR::default().c(100.0),
    invalid: [SVR::default().epsilon(-1.0), SVR::default().c(0.0), SVR::default().tol(-1.0)]);
oxlearn_core::check_estimator!(svr_linear, SVR::default().kernel(SvmKernel::Linear).shrinking(false));
oxlearn_core::check_estimator!(svr_linfa, SVR::default().c(100.0).backend(SvmBackend::Linfa));
oxlearn_core::check_estimator!(linear_svc, LinearSVC::default().seed(0),
    invalid: [LinearSVC::default().c(0.0), LinearSVC::default().tol(-1.0), LinearSVC::default().max_iter(0), LinearSVC::default().intercept_scaling(0.0)]);
oxlearn_core::check_estimator!(gaussian_nb, GaussianNB::default(),
    invalid: [GaussianNB::default().var_smoothing(-1.0), GaussianNB::default().priors(vec![0.5, 0.6, -0.1]), GaussianNB::default().priors(vec![0.5, 0.5])]);
oxlearn_core::check_estimator!(gaussian_nb_linfa, GaussianNB::default().backend(NbBackend::Linfa));
