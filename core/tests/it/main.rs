//! The integration test binary of oxlearn-core: metrics against scikit-learn's golden values,
//! the conformance suite on the dummy estimators, and proof that the suite catches broken ones.

mod conformance;
mod metrics_golden;
