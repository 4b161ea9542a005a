//! The integration test binary of oxlearn-algorithms: conformance registrations, accuracy
//! against scikit-learn's reference scores, and backend agreement.

mod accuracy_tree;
mod accuracy_svm_nb;
mod accuracy_knn;
mod cluster;
mod common;
mod accuracy_linear;
mod conformance_linear;
mod linear;
mod conformance_knn_cluster_pca;
mod decomposition;
mod neighbors;
mod conformance_svm_nb;
mod naive_bayes;
mod svm;
mod conformance_tree;
mod tree;
