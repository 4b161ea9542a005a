//! Conformance suite registrations and the deliberately broken estimators.
