//! Probability estimates of the support vector classifier, as libsvm computes them: Platt's
//! sigmoid fitted on decision values from an internal 5-fold cross-validation (Lin, Lin and
//! Weng's Newton method), and Wu, Lin and Weng's pairwise coupling (their method 2) for more
//! than two classes.

// The solver follows libsvm's index loops over several arrays at once.
#![allow(clippy::needless_range_loop)]

/// Fits `P(y = +1 | f) = 1 / (1 + exp(A f + B))` to decision values `dec` with labels `y`
/// (+1 / -1); returns `(A, B)` (libsvm's `sigmoid_train`).
pub(crate) fn sigmoid_train(dec: &[f64], y: &[i8]) -> (f64, f64) {
    let prior1 = y.iter().filter(|&&v| v > 0).count() as f64;
    let prior0 = y.len() as f64 - prior1;
    let max_iter = 100;
    let min_step = 1e-10;
    let sigma = 1e-12;
    let eps = 1e-5;
    let hi = (prior1 + 1.0) / (prior1 + 2.0);
    let lo = 1.0 / (prior0 + 2.0);
    let t: Vec<f64> = y.iter().map(|&v| if v > 0 { hi } else { lo }).collect();
    let objective = |a: f64, b: f64| -> f64 {
        dec.iter()
            .zip(&t)
            .map(|(&d, &ti)| {
                let f = d * a + b;
                if f >= 0.0 { ti * f + (-f).exp().ln_1p() } else { (ti - 1.0) * f + f.exp().ln_1p() }
            })
            .sum()
    };
    let mut a = 0.0;
    let mut b = ((prior0 + 1.0) / (prior1 + 1.0)).ln();
    let mut fval = objective(a, b);
    for _ in 0..max_iter {
        let (mut h11, mut h22, mut h21, mut g1, mut g2) = (sigma, sigma, 0.0, 0.0, 0.0);
        for (&d, &ti) in dec.iter().zip(&t) {
            let f = d * a + b;
            let (p, q) = if f >= 0.0 {
                let e = (-f).exp();
                (e / (1.0 + e), 1.0 / (1.0 + e))
            } else {
                let e = f.exp();
                (1.0 / (1.0 + e), e / (1.0 + e))
            };
            let d2 = p * q;
            h11 += d * d * d2;
            h22 += d2;
            h21 += d * d2;
            let d1 = ti - p;
            g1 += d * d1;
            g2 += d1;
        }
        if g1.abs() < eps && g2.abs() < eps {
            break;
        }
        let det = h11 * h22 - h21 * h21;
        let da = -(h22 * g1 - h21 * g2) / det;
        let db = -(-h21 * g1 + h11 * g2) / det;
        let gd = g1 * da + g2 * db;
        let mut step = 1.0;
        while step >= min_step {
            let (na, nb) = (a + step * da, b + step * db);
            let nf = objective(na, nb);
            if nf < fval + 1e-4 * step * gd {
                a = na;
                b = nb;
                fval = nf;
                break;
            }
            step /= 2.0;
        }
        if step < min_step {
            break;
        }
    }
    (a, b)
}

/// `1 / (1 + exp(A f + B))`, computed without cancellation (libsvm's `sigmoid_predict`).
pub(crate) fn sigmoid_predict(dec: f64, a: f64, b: f64) -> f64 {
    let f = dec * a + b;
    if f >= 0.0 {
        let e = (-f).exp();
        e / (1.0 + e)
    } else {
        1.0 / (1.0 + f.exp())
    }
}

/// Class probabilities from pairwise probabilities `r[i][j] = P(i | i or j)` (libsvm's
/// `multiclass_probability`, method 2 of Wu, Lin and Weng 2004).
pub(crate) fn multiclass_probability(r: &[Vec<f64>]) -> Vec<f64> {
    let k = r.len();
    let mut p = vec![1.0 / k as f64; k];
    let mut q = vec![vec![0.0; k]; k];
    for t in 0..k {
        for j in 0..t {
            q[t][t] += r[j][t] * r[j][t];
            q[t][j] = q[j][t];
        }
        for j in t + 1..k {
            q[t][t] += r[j][t] * r[j][t];
            q[t][j] = -r[j][t] * r[t][j];
        }
    }
    let max_iter = 100.max(k);
    let eps = 0.005 / k as f64;
    let mut qp = vec![0.0; k];
    for _ in 0..max_iter {
        let mut pqp = 0.0;
        for t in 0..k {
            qp[t] = (0..k).map(|j| q[t][j] * p[j]).sum();
            pqp += p[t] * qp[t];
        }
        let max_error = (0..k).map(|t| (qp[t] - pqp).abs()).fold(0.0, f64::max);
        if max_error < eps {
            break;
        }
        for t in 0..k {
            let diff = (-qp[t] + pqp) / q[t][t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t][t] + 2.0 * qp[t])) / (1.0 + diff) / (1.0 + diff);
            for j in 0..k {
                qp[j] = (qp[j] + diff * q[t][j]) / (1.0 + diff);
                p[j] /= 1.0 + diff;
            }
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_separates_and_coupling_sums_to_one() {
        let dec = [-2.0, -1.5, -1.0, -0.2, 0.3, 1.0, 1.2, 2.0];
        let y = [-1, -1, -1, 1, -1, 1, 1, 1];
        let (a, b) = sigmoid_train(&dec, &y);
        assert!(a < 0.0, "a = {a}");
        assert!(sigmoid_predict(2.0, a, b) > 0.8);
        assert!(sigmoid_predict(-2.0, a, b) < 0.2);
        let r = vec![vec![0.0, 0.7, 0.8], vec![0.3, 0.0, 0.6], vec![0.2, 0.4, 0.0]];
        let p = multiclass_probability(&r);
        assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-9);
        assert!(p[0] > p[1] && p[1] > p[2], "{p:?}");
    }
}
