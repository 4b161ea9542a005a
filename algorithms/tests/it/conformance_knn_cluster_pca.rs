//! Conformance registrations of the neighbors, clustering and PCA estimators (every public
//! estimator and backend).

use oxlearn_algorithms::{
    ClusterBackend, Dbscan, KMeans, KMeansAlgorithm, KMeansInit, KNeighborsClassifier, KNeighborsRegressor,
    KnnAlgorithm, KnnMetric, KnnWeights, Pca, PcaComponents, PcaSolver,
};

oxlearn_core::check_estimator!(knn_classifier, KNeighborsClassifier::default(),
    invalid: [KNeighborsClassifier::default().n_neighbors(0), KNeighborsClassifier::default().p(0.5)]);
oxlearn_core::check_estimator!(
    knn_classifier_brute_distance,
    KNeighborsClassifier::default().algorithm(KnnAlgorithm::Brute).weights(KnnWeights::Distance)
);
oxlearn_core::check_estimator!(
    knn_classifier_kd_tree_manhattan,
    KNeighborsClassifier::default().algorithm(KnnAlgorithm::KdTree).metric(KnnMetric::Manhattan)
);
oxlearn_core::check_estimator!(knn_regressor, KNeighborsRegressor::default(),
    invalid: [KNeighborsRegressor::default().leaf_size(0)]);
oxlearn_core::check_estimator!(
    knn_regressor_brute_distance,
    KNeighborsRegressor::default().algorithm(KnnAlgorithm::Brute).weights(KnnWeights::Distance)
);
oxlearn_core::check_estimator!(kmeans, KMeans::default().n_clusters(3).seed(0),
    invalid: [KMeans::default().n_clusters(0), KMeans::default().tol(-1.0), KMeans::default().max_iter(0)]);
oxlearn_core::check_estimator!(kmeans_elkan, KMeans::default().n_clusters(3).algorithm(KMeansAlgorithm::Elkan).seed(0),
    invalid: [KMeans::default().algorithm(KMeansAlgorithm::Elkan).n_clusters(0)]);
oxlearn_core::check_estimator!(kmeans_random_init, KMeans::default().n_clusters(3).init(KMeansInit::Random).seed(0));
oxlearn_core::check_estimator!(kmeans_linfa, KMeans::default().n_clusters(3).seed(0).backend(ClusterBackend::Linfa));
// DBSCAN has no `predict` (as scikit-learn): the suite checks its training labels instead.
oxlearn_core::check_estimator!(dbscan, Dbscan::default().eps(1.5),
    invalid: [Dbscan::default().eps(-1.0), Dbscan::default().min_samples(0)]);
oxlearn_core::check_estimator!(dbscan_brute, Dbscan::default().eps(1.5).algorithm(KnnAlgorithm::Brute));
oxlearn_core::check_estimator!(dbscan_linfa, Dbscan::default().eps(1.5).backend(ClusterBackend::Linfa));
oxlearn_core::check_estimator!(pca, Pca::default(),
    invalid: [Pca::default().n_components(PcaComponents::N(0)), Pca::default().n_components(PcaComponents::Variance(2.0))]);
oxlearn_core::check_estimator!(pca_full_whiten, Pca::default().svd_solver(PcaSolver::Full).whiten(true));
oxlearn_core::check_estimator!(
    pca_covariance_eigh,
    Pca::default().svd_solver(PcaSolver::CovarianceEigh).n_components(PcaComponents::N(2))
);
oxlearn_core::check_estimator!(
    pca_randomized,
    Pca::default().svd_solver(PcaSolver::Randomized).n_components(PcaComponents::N(2)).seed(0)
);
oxlearn_core::check_estimator!(pca_variance_fraction, Pca::default().n_components(PcaComponents::Variance(0.9)));
oxlearn_core::check_estimator!(
    pca_linfa,
    Pca::default().svd_solver(PcaSolver::Linfa).n_components(PcaComponents::N(2))
);
