//! Backpropagation against central finite differences of an f64 reference loss, for every
//! activation and every output loss.

use ndarray::Array2;
use oxlearn_nn::backend::cpu::CpuBackend;
use oxlearn_nn::backend::{Activation, Backend};
use oxlearn_nn::network::{HostTargets, Network, OutputLoss};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

const ACTIVATIONS: [Activation; 4] = [Activation::Identity, Activation::Logistic, Activation::Tanh, Activation::Relu];

struct Case {
    units: Vec<usize>,
    act: Activation,
    output: OutputLoss,
    alpha: f64,
    x: Array2<f64>,
    classes: Vec<u32>,
    values: Vec<f64>,
    coefs: Vec<Vec<f32>>,
    intercepts: Vec<Vec<f32>>,
}

fn case(act: Activation, output: OutputLoss, seed: u64) -> Case {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let n_out = match output {
        OutputLoss::SoftmaxCrossEntropy => 4,
        OutputLoss::LogisticCrossEntropy | OutputLoss::SquaredError => 1,
    };
    let units = vec![5, 7, 6, n_out];
    let n = 9;
    let x = Array2::from_shape_fn((n, units[0]), |_| rng.gen_range(-1.5..1.5));
    let k = if n_out == 1 { 2 } else { n_out as u32 };
    let classes = (0..n).map(|_| rng.gen_range(0..k)).collect();
    let values = (0..n).map(|_| rng.gen_range(-2.0..2.0)).collect();
    let mut coefs = Vec::new();
    let mut intercepts = Vec::new();
    for w in units.windows(2) {
        coefs.push((0..w[0] * w[1]).map(|_| rng.gen_range(-0.8f32..0.8)).collect());
        intercepts.push((0..w[1]).map(|_| rng.gen_range(-0.5f32..0.5)).collect());
    }
    Case { units, act, output, alpha: 0.3, x, classes, values, coefs, intercepts }
}

/// The loss the network reports for one batch, divided by the batch size (scikit-learn's batch
/// loss), in f64 from the f32 parameters.
fn reference_loss(c: &Case, coefs: &[Vec<f64>], intercepts: &[Vec<f64>]) -> f64 {
    let n = c.x.nrows();
    let layers = c.units.len() - 1;
    let mut total = 0.0;
    for i in 0..n {
        let mut a: Vec<f64> = c.x.row(i).to_vec();
        for l in 0..layers {
            let (inp, out) = (c.units[l], c.units[l + 1]);
            let mut z: Vec<f64> = (0..out)
                .map(|j| intercepts[l][j] + (0..inp).map(|p| a[p] * coefs[l][p * out + j]).sum::<f64>())
                .collect();
            if l + 1 < layers {
                for v in &mut z {
                    *v = match c.act {
                        Activation::Identity => *v,
                        Activation::Logistic => 1.0 / (1.0 + (-*v).exp()),
                        Activation::Tanh => v.tanh(),
                        Activation::Relu => v.max(0.0),
                    };
                }
            }
            a = z;
        }
        total += match c.output {
            OutputLoss::SoftmaxCrossEntropy => {
                let max = a.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
                let lse = a.iter().map(|v| (v - max).exp()).sum::<f64>().ln() + max;
                lse - a[c.classes[i] as usize]
            }
            OutputLoss::LogisticCrossEntropy => {
                let p = 1.0 / (1.0 + (-a[0]).exp());
                let y = f64::from(c.classes[i]);
                -(y * p.ln() + (1.0 - y) * (1.0 - p).ln())
            }
            OutputLoss::SquaredError => 0.5 * (a[0] - c.values[i]).powi(2),
        };
    }
    let l2: f64 = coefs.iter().flatten().map(|w| w * w).sum();
    (total + 0.5 * c.alpha * l2) / n as f64
}

fn check(act: Activation, output: OutputLoss) {
    let c = case(act, output, 7 + act as u64 * 3 + output as u64);
    let cpu = CpuBackend::new(1);
    let n = c.x.nrows();
    let mut net = Network::new(cpu, &c.units, c.act, c.output, c.alpha, &c.coefs, &c.intercepts, n).unwrap();
    let x32: Vec<f32> = c.x.iter().map(|&v| v as f32).collect();
    let v32: Vec<f32> = c.values.iter().map(|&v| v as f32).collect();
    let targets = match output {
        OutputLoss::SquaredError => HostTargets::Values(&v32),
        _ => HostTargets::Classes(&c.classes),
    };
    let data = net.upload_data(&x32, targets).unwrap();
    let order = net.backend().upload_idx(&(0..n as u32).collect::<Vec<_>>()).unwrap();
    net.reset_loss();
    net.compute_gradients(&data, &order, 0..n);
    let loss = net.read_loss().unwrap() / n as f64;
    let (gw, gb) = net.read_gradients().unwrap();

    // The f64 reference uses the inputs as the network saw them (f32-rounded).
    let c = Case { x: c.x.mapv(|v| f64::from(v as f32)), ..c };
    let mut coefs: Vec<Vec<f64>> = c.coefs.iter().map(|w| w.iter().map(|&v| f64::from(v)).collect()).collect();
    let mut intercepts: Vec<Vec<f64>> =
        c.intercepts.iter().map(|b| b.iter().map(|&v| f64::from(v)).collect()).collect();
    let ref_loss = reference_loss(&c, &coefs, &intercepts);
    assert!(
        (loss - ref_loss).abs() <= 1e-5 * (1.0 + ref_loss.abs()),
        "{act:?} {output:?}: loss {loss} vs reference {ref_loss}"
    );

    let h = 1e-5;
    let close = |analytic: f32, fd: f64| (f64::from(analytic) - fd).abs() <= 2e-4 + 2e-3 * fd.abs();
    for l in 0..coefs.len() {
        for i in 0..coefs[l].len() {
            let orig = coefs[l][i];
            coefs[l][i] = orig + h;
            let up = reference_loss(&c, &coefs, &intercepts);
            coefs[l][i] = orig - h;
            let down = reference_loss(&c, &coefs, &intercepts);
            coefs[l][i] = orig;
            let fd = (up - down) / (2.0 * h);
            assert!(close(gw[l][i], fd), "{act:?} {output:?}: dW[{l}][{i}] = {} vs finite difference {fd}", gw[l][i]);
        }
        for j in 0..intercepts[l].len() {
            let orig = intercepts[l][j];
            intercepts[l][j] = orig + h;
            let up = reference_loss(&c, &coefs, &intercepts);
            intercepts[l][j] = orig - h;
            let down = reference_loss(&c, &coefs, &intercepts);
            intercepts[l][j] = orig;
            let fd = (up - down) / (2.0 * h);
            assert!(close(gb[l][j], fd), "{act:?} {output:?}: db[{l}][{j}] = {} vs finite difference {fd}", gb[l][j]);
        }
    }
}

#[test]
fn softmax_cross_entropy_gradients_match_finite_differences() {
    for act in ACTIVATIONS {
        check(act, OutputLoss::SoftmaxCrossEntropy);
    }
}

#[test]
fn logistic_cross_entropy_gradients_match_finite_differences() {
    for act in ACTIVATIONS {
        check(act, OutputLoss::LogisticCrossEntropy);
    }
}

#[test]
fn squared_error_gradients_match_finite_differences() {
    for act in ACTIVATIONS {
        check(act, OutputLoss::SquaredError);
    }
}
