//! The `progress` feature: the indicatif bar counts the progress events of MLP epochs, forest
//! trees and search fits (drawn hidden: the test checks the counts, not the terminal).

use oxlearn::pipeline::{GridSearchCV, StratifiedKFold};
use oxlearn::prelude::*;
use oxlearn::progress::ProgressBar;

#[test]
fn the_bar_counts_epochs_trees_and_search_fits() {
    let iris = oxlearn::datasets::iris();

    let bar = ProgressBar::hidden();
    let mlp = MlpClassifier::default().max_iter(7).tol(0.0).seed(0).device(Device::Cpu).callback(bar.callback());
    let fitted = mlp.fit(&iris.x, &iris.y).unwrap();
    assert_eq!(fitted.n_iter(), 7);
    assert_eq!(bar.events(), 7);
    assert_eq!((bar.bar().position(), bar.bar().length()), (7, Some(7)));

    let bar = ProgressBar::hidden();
    let forest = RandomForestClassifier::default().n_estimators(12).seed(0).n_jobs(2).callback(bar.callback());
    forest.fit(&iris.x, &iris.y).unwrap();
    assert_eq!(bar.events(), 12);
    assert_eq!((bar.bar().position(), bar.bar().length()), (12, Some(12)));

    let bar = ProgressBar::hidden();
    let search = GridSearchCV::new(LogisticRegression::default())
        .param("C", [0.1, 1.0])
        .cv(StratifiedKFold::new(3))
        .n_jobs(2)
        .callback(bar.callback())
        .fit(&iris.x, iris.y.mapv(Label::Int))
        .unwrap();
    assert_eq!(search.candidates().len(), 2);
    assert_eq!(bar.events(), 6);
    assert_eq!((bar.bar().position(), bar.bar().length()), (6, Some(6)));
    bar.finish();
    assert!(format!("{bar:?}").contains("events: 6"));
}
