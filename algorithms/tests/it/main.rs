//! The integration test binary of oxlearn-algorithms: conformance registrations, accuracy
//! against scikit-learn's reference scores, and backend agreement.

mod common;
