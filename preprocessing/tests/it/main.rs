//! The integration test binary of oxlearn-preprocessing.
