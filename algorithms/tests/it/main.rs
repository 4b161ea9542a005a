//! The integration test binary of oxlearn-algorithms: conformance registrations, accuracy
//! against scikit-learn's reference scores, and backend agreement.

mod accuracy_knn;
mod accuracy_linear;
mod accuracy_svm_nb;
mod accuracy_tree;
mod cluster;
mod common;
mod conformance_knn_cluster_pca;
mod conformance_linear;
mod conformance_svm_nb;
mod conformance_tree;
mod decomposition;
mod linear;
mod logistic_l1;
mod naive_bayes;
mod neighbors;
mod svm;
mod tree;
mod tree_nan;
mod weights;
