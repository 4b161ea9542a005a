//! Model selection: splitters, cross-validation, learning/validation curves and
//! hyper-parameter searches, scikit-learn's `sklearn.model_selection`.

pub mod scoring;
pub mod search;
pub mod split;
pub mod validation;

pub use scoring::{SCORER_NAMES, Scorer};
pub use search::{Candidate, Distribution, GridSearchCV, RandomizedSearchCV, SearchResults};
pub use split::{
    CrossValidator, Fold, GroupKFold, KFold, ShuffleSplit, StratifiedKFold, TimeSeriesSplit, TrainTestSplit,
    TrainTestSplitter, train_test_split, train_test_split_frame,
};
pub use validation::{
    CvData, CvOptions, CvResults, LearningCurve, cross_val_predict, cross_val_score, cross_validate,
    cross_validate_with, cross_validate_xy, learning_curve, validation_curve,
};
