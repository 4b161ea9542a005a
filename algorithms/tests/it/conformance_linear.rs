//! Conformance registrations of the linear models: every estimator with each of its solvers,
//! the linfa backend included.

use oxlearn_algorithms::{ElasticNet, Lasso, LinearRegression, LogisticRegression, Ridge, Solver};

oxlearn_core::check_estimator!(linear_regression, LinearRegression::default(),
    invalid: [LinearRegression::default().solver(Solver::Lbfgs)]);
oxlearn_core::check_estimator!(linear_regression_linfa, LinearRegression::default().solver(Solver::Linfa));
oxlearn_core::check_estimator!(ridge, Ridge::default(),
    invalid: [Ridge::default().alpha(-1.0), Ridge::default().alpha(f64::NAN), Ridge::default().tol(-1.0),
              Ridge::default().max_iter(Some(0)), Ridge::default().solver(Solver::CoordinateDescent)]);
oxlearn_core::check_estimator!(ridge_svd, Ridge::default().solver(Solver::Svd));
oxlearn_core::check_estimator!(ridge_linfa, Ridge::default().solver(Solver::Linfa),
    invalid: [Ridge::default().solver(Solver::Linfa).alpha(-1.0), Ridge::default().solver(Solver::Linfa).tol(0.0)]);
oxlearn_core::check_estimator!(lasso, Lasso::default().alpha(0.01),
    invalid: [Lasso::default().alpha(-0.1), Lasso::default().max_iter(0), Lasso::default().tol(f64::INFINITY),
              Lasso::default().solver(Solver::Svd)]);
oxlearn_core::check_estimator!(lasso_linfa, Lasso::default().alpha(0.01).solver(Solver::Linfa),
    invalid: [Lasso::default().solver(Solver::Linfa).positive(true), Lasso::default().solver(Solver::Linfa).tol(0.0)]);
oxlearn_core::check_estimator!(elastic_net, ElasticNet::default().alpha(0.01),
    invalid: [ElasticNet::default().l1_ratio(1.5), ElasticNet::default().l1_ratio(-0.1), ElasticNet::default().alpha(-1.0)]);
oxlearn_core::check_estimator!(elastic_net_linfa, ElasticNet::default().alpha(0.01).solver(Solver::Linfa),
    invalid: [ElasticNet::default().solver(Solver::Linfa).l1_ratio(2.0)]);
oxlearn_core::check_estimator!(logistic_regression, LogisticRegression::default(),
    invalid: [LogisticRegression::default().c(0.0), LogisticRegression::default().c(-1.0), LogisticRegression::default().c(f64::NAN),
              LogisticRegression::default().l1_ratio(1.5), LogisticRegression::default().tol(-1.0),
              LogisticRegression::default().solver(Solver::Cholesky), LogisticRegression::default().n_jobs(0)]);
oxlearn_core::check_estimator!(logistic_regression_l1, LogisticRegression::default().l1_ratio(1.0),
    invalid: [LogisticRegression::default().l1_ratio(1.5), LogisticRegression::default().l1_ratio(f64::NAN),
              LogisticRegression::default().l1_ratio(1.0).solver(Solver::Lbfgs), LogisticRegression::default().l1_ratio(1.0).c(-1.0)]);
oxlearn_core::check_estimator!(logistic_regression_linfa, LogisticRegression::default().solver(Solver::Linfa),
    invalid: [LogisticRegression::default().solver(Solver::Linfa).c(0.0), LogisticRegression::default().solver(Solver::Linfa).tol(0.0)]);
