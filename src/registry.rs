//! The closed registry of model types for model files: every public estimator and transformer
//! of oxlearn, by its stable name ("Ridge", "RandomForestClassifier", "StandardScaler",
//! "Pipeline", ...), and the `save` / [`load`] entry points that use it.
//!
//! A model file names its type; loading looks the name up here and nowhere else (never a path,
//! never code). A type missing from this list cannot be loaded; the facade's integration tests
//! fail when a public estimator is not registered.
//!
//! ```
//! use oxlearn::prelude::*;
//! use oxlearn::registry::{LoadPipeline, SaveModel};
//! use oxlearn::pipeline::Pipeline;
//!
//! let iris = oxlearn::datasets::iris();
//! let pipe = Pipeline::new().step("scale", StandardScaler::default()).step("model", GaussianNB::default());
//! let y = iris.y.mapv(Label::Int);
//! let fitted = pipe.fit_xy(iris.x.view(), oxlearn::core::TargetView::Labels(y.view()))?;
//! let path = std::env::temp_dir().join("oxlearn-registry-doctest.oxl");
//! fitted.save(&path)?;
//! let again = Pipeline::load(&path)?;
//! assert_eq!(again.predict_dyn(iris.x.view())?, fitted.predict_dyn(iris.x.view())?);
//! # std::fs::remove_file(&path)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::Path;
use std::sync::OnceLock;

use oxlearn_core::DynFitted;
use oxlearn_pipeline::persist;
pub use oxlearn_pipeline::persist::{ModelFileError, ModelHeader, Registry, SaveModel};
use oxlearn_pipeline::{FittedPipeline, Pipeline};

/// The registry of every public oxlearn model type.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        use oxlearn_algorithms as a;
        use oxlearn_core::dummy as d;
        use oxlearn_nn as nn;
        use oxlearn_preprocessing as p;
        let mut r = Registry::new();
        r.register::<d::DummyClassifier>()
            .register::<d::DummyRegressor>()
            .register::<a::LinearRegression>()
            .register::<a::Ridge>()
            .register::<a::Lasso>()
            .register::<a::ElasticNet>()
            .register::<a::LogisticRegression>()
            .register::<a::DecisionTreeClassifier>()
            .register::<a::DecisionTreeRegressor>()
            .register::<a::RandomForestClassifier>()
            .register::<a::RandomForestRegressor>()
            .register::<a::ExtraTreesClassifier>()
            .register::<a::ExtraTreesRegressor>()
            .register::<a::KMeans>()
            .register::<a::Dbscan>()
            .register::<a::GaussianNB>()
            .register::<a::LinearSVC>()
            .register::<a::SVC>()
            .register::<a::SVR>()
            .register::<a::Pca>()
            .register::<a::KNeighborsClassifier>()
            .register::<a::KNeighborsRegressor>()
            .register::<nn::MlpClassifier>()
            .register::<nn::MlpRegressor>()
            .register::<p::StandardScaler>()
            .register::<p::MinMaxScaler>()
            .register::<p::MaxAbsScaler>()
            .register::<p::RobustScaler>()
            .register::<p::Normalizer>()
            .register::<p::SimpleImputer>()
            .register::<p::OneHotEncoder>()
            .register::<p::OrdinalEncoder>()
            .register::<p::PolynomialFeatures>()
            .register::<p::KBinsDiscretizer>()
            .register::<p::ColumnTransformer>()
            // Registered so the name is known; its fitted state (a closure) cannot be saved.
            .register::<p::FunctionTransformer>();
        r
    })
}

/// Loads any model file written by oxlearn (a fitted estimator or pipeline).
///
/// # Errors
/// [`ModelFileError`]: I/O, not a model file, newer format version, corrupted (checksum),
/// unknown model type, invalid state.
pub fn load(path: impl AsRef<Path>) -> Result<Box<dyn DynFitted>, ModelFileError> {
    persist::load(path, registry())
}

/// Loads model-file bytes.
///
/// # Errors
/// As [`load`].
pub fn load_bytes(bytes: &[u8]) -> Result<Box<dyn DynFitted>, ModelFileError> {
    persist::from_bytes(bytes, registry(), "<bytes>")
}

/// `Pipeline::load(path)`: loads a model file that must hold a pipeline.
pub trait LoadPipeline {
    /// Loads the fitted pipeline.
    ///
    /// # Errors
    /// [`ModelFileError::WrongModelType`] when the file holds another model, and as [`load`].
    fn load(path: impl AsRef<Path>) -> Result<FittedPipeline, ModelFileError>;
}

impl LoadPipeline for Pipeline {
    fn load(path: impl AsRef<Path>) -> Result<FittedPipeline, ModelFileError> {
        persist::load_pipeline_file(path, registry())
    }
}
