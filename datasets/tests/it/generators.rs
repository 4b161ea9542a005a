//! The generators: scikit-learn's shapes and class sizes (golden counts from
//! `scripts/generator_counts.py`), their structure, seeding and parameter errors.

use ndarray::{Array1, Array2, Axis, s};
use oxlearn_core::Error;
use oxlearn_datasets::{make_blobs, make_circles, make_classification, make_moons, make_regression};

fn bincount(y: &Array1<i64>) -> Vec<usize> {
    let k = y.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut c = vec![0; k];
    for &v in y {
        c[v as usize] += 1;
    }
    c
}

fn invalid_param(e: Error) -> String {
    match e {
        Error::InvalidParam { name, .. } => name,
        other => panic!("expected InvalidParam, got {other:?}"),
    }
}

/// Class sizes of scikit-learn 1.9.1 for the same parameters.
#[test]
fn class_sizes_match_scikit_learn() {
    let golden = include_str!("../data/generator_counts.csv");
    let mut checked = 0;
    for line in golden.lines().skip(1) {
        let fields: Vec<&str> = line.split(',').collect();
        let (generator, params) = (fields[0], fields[1]);
        let expected: Vec<usize> = fields[2].split(' ').map(|c| c.parse().unwrap()).collect();
        let p: Vec<&str> = params.split(';').collect();
        let num = |i: usize| p[i].parse::<usize>().unwrap();
        let y = match generator {
            "classification" => {
                let mut g = make_classification(num(0), 6)
                    .n_informative(4)
                    .n_redundant(1)
                    .n_classes(num(1))
                    .n_clusters_per_class(num(2))
                    .flip_y(0.0)
                    .seed(0);
                if p[3] != "none" {
                    g = g.weights(p[3].split('/').map(|w| w.parse().unwrap()).collect());
                }
                let (x, y) = g.generate().unwrap();
                assert_eq!(x.dim(), (num(0), 6));
                y
            }
            "blobs" => {
                let (x, y) = make_blobs(num(0), 2).centers(num(1)).seed(0).generate().unwrap();
                assert_eq!(x.dim(), (num(0), 2));
                y
            }
            "moons" => make_moons(num(0)).seed(0).generate().unwrap().1,
            "circles" => make_circles(num(0)).seed(0).generate().unwrap().1,
            other => panic!("unknown generator {other}"),
        };
        assert_eq!(bincount(&y), expected, "{generator} {params}");
        checked += 1;
    }
    assert_eq!(checked, 20);
}

#[test]
fn classification_columns_have_sklearn_structure() {
    // Unshuffled: informative, redundant, repeated, then noise columns.
    let (x, y) = make_classification(400, 9)
        .n_informative(3)
        .n_redundant(2)
        .n_repeated(2)
        .n_classes(4)
        .n_clusters_per_class(2)
        .flip_y(0.0)
        .shuffle(false)
        .seed(1)
        .generate()
        .unwrap();
    assert_eq!(x.dim(), (400, 9));
    // Unshuffled labels come in cluster blocks: class k % 4 for cluster k, 50 rows each.
    for (i, &c) in y.iter().enumerate() {
        assert_eq!(c, ((i / 50) % 4) as i64);
    }
    // Redundant columns are exact linear combinations of the informative ones.
    let inf = x.slice(s![.., ..3]).to_owned();
    for j in 3..5 {
        let residual = least_squares_residual(&inf, &x.column(j).to_owned());
        assert!(residual < 1e-9 * x.column(j).dot(&x.column(j)).sqrt(), "column {j}: {residual}");
    }
    // Noise columns are not.
    assert!(least_squares_residual(&inf, &x.column(8).to_owned()) > 1.0);
    // Repeated columns copy an informative or redundant one.
    for j in 5..7 {
        assert!((0..5).any(|k| x.column(k) == x.column(j)), "column {j} repeats nothing");
    }
    // Each cluster sits near a vertex of the [-1, 1]^3 hypercube: its mean's coordinates are
    // about +-class_sep (the random mixing matrix has mean zero).
    let means: Vec<_> = (0..8).map(|k| x.slice(s![k * 50..(k + 1) * 50, ..3]).mean_axis(Axis(0)).unwrap()).collect();
    for m in &means {
        assert!(m.iter().all(|v| v.abs() > 0.4 && v.abs() < 1.6), "{m}");
    }
}

/// Residual norm of the least-squares fit of `b` on the columns of `a` (normal equations,
/// Gaussian elimination: fine for 3 columns).
fn least_squares_residual(a: &Array2<f64>, b: &Array1<f64>) -> f64 {
    let n = a.ncols();
    let mut m = a.t().dot(a);
    let mut r = a.t().dot(b);
    for i in 0..n {
        for k in i + 1..n {
            let f = m[[k, i]] / m[[i, i]];
            for j in 0..n {
                m[[k, j]] -= f * m[[i, j]];
            }
            r[k] -= f * r[i];
        }
    }
    let mut coef = Array1::zeros(n);
    for i in (0..n).rev() {
        let mut v = r[i];
        for j in i + 1..n {
            v -= m[[i, j]] * coef[j];
        }
        coef[i] = v / m[[i, i]];
    }
    (b - &a.dot(&coef)).dot(&(b - &a.dot(&coef))).sqrt()
}

#[test]
fn classification_flip_shift_scale_and_separation() {
    // flip_y = 1: labels are redrawn uniformly, so about half of the two classes change.
    let base = make_classification(2000, 5).n_informative(2).n_redundant(0).shuffle(false).seed(4);
    let (_, clean) = base.clone().flip_y(0.0).generate().unwrap();
    let (_, flipped) = base.clone().flip_y(1.0).generate().unwrap();
    let changed = clean.iter().zip(&flipped).filter(|(a, b)| a != b).count();
    assert!((800..1200).contains(&changed), "{changed}");
    // shift and scale apply to every feature: (x + shift) * scale.
    let (x0, _) = base.clone().generate().unwrap();
    let (x1, _) = base.clone().shift(Some(2.0)).scale(Some(3.0)).generate().unwrap();
    let expected = (&x0 + 2.0) * 3.0;
    assert!(x1.iter().zip(&expected).all(|(a, b)| (a - b).abs() < 1e-12));
    // Random scale: every feature scaled by a factor in [1, 101].
    let (x2, _) = base.clone().scale(None).generate().unwrap();
    for j in 0..5 {
        let ratio = x2[[0, j]] / x0[[0, j]];
        assert!((1.0..=101.0).contains(&ratio), "{ratio}");
        assert!(x2.column(j).iter().zip(x0.column(j)).all(|(a, b)| (a - ratio * b).abs() < 1e-9 * a.abs().max(1.0)));
    }
    // A large class_sep makes the classes separable by the nearest class mean.
    let (x, y) = make_classification(500, 4)
        .n_informative(2)
        .n_redundant(0)
        .n_clusters_per_class(1)
        .class_sep(8.0)
        .flip_y(0.0)
        .seed(5)
        .generate()
        .unwrap();
    assert!(nearest_mean_accuracy(&x, &y) > 0.97);
    // Not a hypercube: still the right shape and labels.
    let (x, y) = base.hypercube(false).generate().unwrap();
    assert_eq!((x.dim(), bincount(&y).len()), ((2000, 5), 2));
}

fn nearest_mean_accuracy(x: &Array2<f64>, y: &Array1<i64>) -> f64 {
    let k = bincount(y).len();
    let means: Vec<Array1<f64>> = (0..k)
        .map(|c| {
            let rows: Vec<usize> = (0..y.len()).filter(|&i| y[i] == c as i64).collect();
            x.select(Axis(0), &rows).mean_axis(Axis(0)).unwrap()
        })
        .collect();
    let correct = x
        .rows()
        .into_iter()
        .zip(y)
        .filter(|(row, c)| {
            let best = (0..k)
                .min_by(|&a, &b| {
                    let da = (&means[a] - row).mapv(|v| v * v).sum();
                    let db = (&means[b] - row).mapv(|v| v * v).sum();
                    da.total_cmp(&db)
                })
                .unwrap();
            best as i64 == **c
        })
        .count();
    correct as f64 / y.len() as f64
}

#[test]
fn regression_without_noise_is_exactly_linear() {
    for (shuffle, rank) in [(true, None), (false, None), (true, Some(3))] {
        let (x, y, coef) = make_regression(120, 15)
            .n_informative(4)
            .bias(-2.5)
            .effective_rank(rank)
            .shuffle(shuffle)
            .seed(11)
            .generate_with_coef()
            .unwrap();
        assert_eq!((x.dim(), y.len(), coef.len()), ((120, 15), 120, 15));
        assert_eq!(y, x.dot(&coef) - 2.5);
        assert_eq!(coef.iter().filter(|&&c| c != 0.0).count(), 4);
        assert!(coef.iter().all(|&c| (0.0..100.0).contains(&c)));
        if !shuffle {
            assert!(coef.slice(s![..4]).iter().all(|&c| c > 0.0));
        }
    }
    // n_informative is capped at n_features; the default is 100 features, 10 informative.
    let (_, _, coef) = make_regression(10, 3).n_informative(50).seed(0).generate_with_coef().unwrap();
    assert!(coef.iter().all(|&c| c > 0.0));
    let (x, _, coef) = make_regression(100, 100).seed(0).generate_with_coef().unwrap();
    assert_eq!((x.dim(), coef.iter().filter(|&&c| c != 0.0).count()), ((100, 100), 10));
}

#[test]
fn regression_noise_has_the_asked_spread() {
    let (x, y, coef) = make_regression(4000, 3).noise(2.0).seed(2).generate_with_coef().unwrap();
    let resid = &y - &x.dot(&coef);
    let sd = (resid.mapv(|v| v * v).sum() / resid.len() as f64).sqrt();
    assert!((sd - 2.0).abs() < 0.1, "{sd}");
}

#[test]
fn low_rank_design_has_decaying_singular_values() {
    let (x, _) = make_regression(60, 30).effective_rank(Some(3)).tail_strength(0.0).seed(8).generate().unwrap();
    let m = faer::Mat::<f64>::from_fn(60, 30, |i, j| x[[i, j]]);
    let mut sv = m.singular_values().unwrap();
    sv.sort_by(|a, b| b.total_cmp(a));
    // Without a tail, s_i = exp(-(i / 3)^2).
    for (i, s) in sv.iter().take(6).enumerate() {
        let expected = (-(i as f64 / 3.0).powi(2)).exp();
        assert!((s - expected).abs() < 1e-9, "s_{i} = {s}, expected {expected}");
    }
}

#[test]
fn blobs_center_where_asked() {
    let centers = ndarray::array![[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]];
    let (x, y, c) = make_blobs(1, 99)
        .centers(centers.clone())
        .n_samples_per_center(vec![300, 100])
        .cluster_std(vec![0.5, 2.0])
        .seed(0)
        .generate_with_centers()
        .unwrap();
    assert_eq!((x.dim(), c), ((400, 3), centers.clone()));
    assert_eq!(bincount(&y), vec![300, 100]);
    for k in 0..2 {
        let rows: Vec<usize> = (0..400).filter(|&i| y[i] == k as i64).collect();
        let xk = x.select(Axis(0), &rows);
        let mean = xk.mean_axis(Axis(0)).unwrap();
        let sd = xk.std_axis(Axis(0), 1.0);
        let want_sd = [0.5, 2.0][k];
        assert!(
            (&mean - &centers.row(k)).iter().all(|d| d.abs() < 4.0 * want_sd / (rows.len() as f64).sqrt()),
            "{mean}"
        );
        assert!(sd.iter().all(|s| (s / want_sd - 1.0).abs() < 0.2), "{sd}");
    }
    // Random centres stay inside center_box; the default is 3 centres in 2-D.
    let (x, y, c) = make_blobs(90, 4).center_box(-1.0, 1.0).cluster_std(0.0).seed(0).generate_with_centers().unwrap();
    assert_eq!((x.dim(), c.dim()), ((90, 4), (3, 4)));
    assert!(c.iter().all(|v| (-1.0..1.0).contains(v)));
    // With std 0, each point is its centre.
    for (row, &k) in x.rows().into_iter().zip(&y) {
        assert_eq!(row, c.row(k as usize));
    }
    assert_eq!(make_blobs(100, 2).seed(0).generate().unwrap().0.dim(), (100, 2));
}

#[test]
fn moons_and_circles_lie_on_their_curves() {
    let (x, y) = make_moons(101).seed(0).generate().unwrap();
    for (p, &c) in x.rows().into_iter().zip(&y) {
        let r = if c == 0 { p[0].hypot(p[1]) } else { (p[0] - 1.0).hypot(p[1] - 0.5) };
        assert!((r - 1.0).abs() < 1e-12, "{p} class {c}");
        assert!(if c == 0 { p[1] >= -1e-12 } else { p[1] <= 0.5 + 1e-12 });
    }
    let (x, y) = make_circles(64).factor(0.3).seed(0).generate().unwrap();
    for (p, &c) in x.rows().into_iter().zip(&y) {
        assert!((p[0].hypot(p[1]) - [1.0, 0.3][c as usize]).abs() < 1e-12);
    }
    // Noise moves points off the curves by about `noise`.
    let (clean, _) = make_circles(1000).shuffle(false).seed(1).generate().unwrap();
    let (noisy, _) = make_circles(1000).shuffle(false).noise(0.05).seed(1).generate().unwrap();
    let d = &noisy - &clean;
    let sd = (d.mapv(|v| v * v).sum() / d.len() as f64).sqrt();
    assert!((sd - 0.05).abs() < 0.005, "{sd}");
    // Unshuffled: class 0 first.
    let (_, y) = make_moons(10).shuffle(false).generate().unwrap();
    assert_eq!(y.to_vec(), [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
}

#[test]
fn same_seed_same_data_other_seed_other_data() {
    let c = || make_classification(50, 6);
    assert_eq!(c().seed(3).generate().unwrap(), c().seed(3).generate().unwrap());
    assert_ne!(c().seed(3).generate().unwrap().0, c().seed(4).generate().unwrap().0);
    let r = || make_regression(30, 4).noise(1.0);
    assert_eq!(r().seed(3).generate().unwrap(), r().seed(3).generate().unwrap());
    assert_ne!(r().seed(3).generate().unwrap().0, r().seed(4).generate().unwrap().0);
    assert_eq!(make_blobs(30, 2).seed(1).generate().unwrap(), make_blobs(30, 2).seed(1).generate().unwrap());
    assert_eq!(
        make_moons(30).noise(0.1).seed(1).generate().unwrap(),
        make_moons(30).noise(0.1).seed(1).generate().unwrap()
    );
    // Without a seed, two calls differ.
    assert_ne!(make_circles(30).noise(0.1).generate().unwrap().0, make_circles(30).noise(0.1).generate().unwrap().0);
}

#[test]
fn absurd_parameters_are_invalid_param_errors() {
    let c = || make_classification(100, 20);
    let cases = [
        (c().n_samples(0).generate(), "n_samples"),
        (c().n_informative(10).n_redundant(10).n_repeated(1).generate(), "n_features"),
        (c().n_informative(2).n_classes(3).generate(), "n_informative"),
        (c().n_classes(0).generate(), "n_classes"),
        (c().weights(vec![0.5, 0.3, 0.2]).generate(), "weights"),
        (c().weights(vec![1.5]).generate(), "weights"),
        (c().weights(vec![-0.1, 1.1]).generate(), "weights"),
        (c().flip_y(1.5).generate(), "flip_y"),
        (c().class_sep(0.0).generate(), "class_sep"),
        (c().shift(Some(f64::NAN)).generate(), "shift"),
    ];
    for (result, name) in cases {
        assert_eq!(invalid_param(result.unwrap_err()), name);
    }
    // Weights far above 1 fill the first clusters and truncate, as NumPy's slicing does.
    let (_, y) = c().weights(vec![1e300, 0.0]).flip_y(0.0).seed(0).generate().unwrap();
    assert_eq!(bincount(&y), vec![100]);
    let r = || make_regression(10, 5);
    for (result, name) in [
        (r().n_samples(0).generate(), "n_samples"),
        (r().noise(-1.0).generate(), "noise"),
        (r().effective_rank(Some(0)).generate(), "effective_rank"),
        (r().tail_strength(2.0).generate(), "tail_strength"),
        (r().bias(f64::INFINITY).generate(), "bias"),
    ] {
        assert_eq!(invalid_param(result.unwrap_err()), name);
    }
    let b = || make_blobs(10, 2);
    for (result, name) in [
        (b().centers(0).generate(), "centers"),
        (b().center_box(1.0, -1.0).generate(), "center_box"),
        (b().center_box(-1e308, 1e308).generate(), "center_box"),
        (b().cluster_std(-1.0).generate(), "cluster_std"),
        (b().centers(3).cluster_std(vec![1.0, 2.0]).generate(), "cluster_std"),
        (b().centers(2).n_samples_per_center(vec![1, 2, 3]).generate(), "n_samples"),
        (b().n_samples(0).generate(), "n_samples"),
        (b().n_features(0).generate(), "n_features"),
    ] {
        assert_eq!(invalid_param(result.unwrap_err()), name);
    }
    for (result, name) in [
        (make_moons(0).generate(), "n_samples"),
        (make_moons(5).noise(-0.1).generate(), "noise"),
        (make_circles(5).factor(1.0).generate(), "factor"),
        (make_circles(0).generate(), "n_samples"),
    ] {
        assert_eq!(invalid_param(result.unwrap_err()), name);
    }
}
