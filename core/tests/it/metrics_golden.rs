//! Metrics against scikit-learn golden values (owned by the metrics work).
