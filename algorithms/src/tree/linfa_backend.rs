//! The linfa-trees backend of [`DecisionTreeClassifier`](super::DecisionTreeClassifier): maps
//! the parameters, fits with linfa, and converts linfa's boxed nodes into our flat [`Tree`], so
//! that no linfa type leaves this file.

use linfa::prelude::*;
use linfa_trees::{DecisionTree, SplitQuality, TreeNode};
use ndarray::{Array1, ArrayView2};
use oxlearn_core::{Error, Result};

use super::cart::{Impurity, NodeSpec, Tree};
use super::{MaxFeatures, Splitter, TreeParams};

/// Rejects the parameters linfa-trees has no counterpart for.
pub(crate) fn check_params(p: &TreeParams) -> Result<()> {
    let unsupported =
        |name: &str, why: &str| Err(Error::invalid_param(name, format!("not supported by the linfa backend: {why}")));
    if p.splitter != Splitter::Best {
        return unsupported("splitter", "only \"best\"");
    }
    if p.max_features != MaxFeatures::All {
        return unsupported("max_features", "only None (every feature)");
    }
    if p.max_leaf_nodes.is_some() {
        return unsupported("max_leaf_nodes", "only None");
    }
    if p.min_weight_fraction_leaf != 0.0 {
        return unsupported("min_weight_fraction_leaf", "only 0");
    }
    Ok(())
}

/// Fits linfa-trees on class indices `y` (in `0..k`) and converts the result.
pub(crate) fn fit(p: &TreeParams, impurity: Impurity, x: ArrayView2<'_, f64>, y: &[u32], k: usize) -> Result<Tree> {
    let cfg = p.config(impurity, x.nrows(), x.ncols(), x.nrows() as f64)?;
    let quality = match impurity {
        Impurity::Entropy => SplitQuality::Entropy,
        _ => SplitQuality::Gini,
    };
    let targets: Array1<usize> = y.iter().map(|&c| c as usize).collect();
    let dataset = linfa::Dataset::new(x.to_owned(), targets);
    let model = DecisionTree::<f64, usize>::params()
        .split_quality(quality)
        .max_depth(cfg.max_depth)
        .min_weight_split(cfg.min_samples_split as f32)
        .min_weight_leaf(cfg.min_samples_leaf as f32)
        .min_impurity_decrease(cfg.min_impurity_decrease.max(f64::EPSILON))
        .fit(&dataset)
        .map_err(|e| Error::Other(format!("linfa-trees: {e}")))?;

    // Preorder walk: node ids in visiting order, children filled in when they get their ids.
    let mut structure: Vec<NodeSpec> = Vec::new();
    type Visit<'a> = (&'a TreeNode<f64, usize>, Option<(usize, bool)>);
    let mut stack: Vec<Visit<'_>> = vec![(model.root_node(), None)];
    while let Some((node, parent)) = stack.pop() {
        let id = structure.len();
        if let Some((pid, is_left)) = parent {
            let children = structure[pid].0.get_or_insert((0, 0));
            if is_left {
                children.0 = id;
            } else {
                children.1 = id;
            }
        }
        let (feature, threshold, _) = node.split();
        structure.push((None, feature, threshold));
        let kids = node.children();
        if let (false, Some(left), Some(right)) = (node.is_leaf(), kids[0].as_deref(), kids[1].as_deref()) {
            stack.push((right, Some((id, false))));
            stack.push((left, Some((id, true))));
        }
    }
    let mut tree = Tree::from_structure(&structure, x.ncols(), k, true);
    tree.refit_leaves(x, y, impurity);
    Ok(tree)
}
