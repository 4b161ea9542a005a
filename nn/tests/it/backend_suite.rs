//! One test suite for every backend: each kernel against the CPU backend on random shapes (odd
//! ones included) with tolerances, and whole fits whose loss curves and scores must match the
//! CPU's. The CPU runs it always; wgpu runs it on any adapter (`Device::WgpuAny`: lavapipe in CI,
//! the NVIDIA GPU on the GPU machine) and fails loudly when no adapter exists; CUDA runs it with
//! `--features cuda` where a driver is present, and checks the typed error where none is.

use ndarray::{Array1, Array2};
use oxlearn_core::prelude::*;
use oxlearn_nn::backend::cpu::CpuBackend;
use oxlearn_nn::backend::{Activation, AdamStep, Backend, SgdStep, Trans};
use oxlearn_nn::{Device, MlpClassifier, MlpRegressor, Solver};
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

fn rand_vec(rng: &mut Xoshiro256PlusPlus, len: usize) -> Vec<f32> {
    (0..len).map(|_| rng.gen_range(-1.0f32..1.0)).collect()
}

fn up<B: Backend>(be: &B, v: &[f32]) -> B::Buf {
    be.upload(v).expect("upload")
}

fn down<B: Backend>(be: &B, b: &B::Buf, len: usize) -> Vec<f32> {
    let mut out = vec![0.0; len];
    be.download(b, &mut out).expect("download");
    out
}

#[track_caller]
fn assert_close(what: &str, got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let err = (g - w).abs();
        assert!(
            err <= tol * (1.0 + w.abs()),
            "{what}: value {i} is {g}, the CPU says {w} (error {err}, tolerance {tol})"
        );
    }
}

/// Shapes around the GEMM tile edges (64) and elementwise workgroup (256), kept small for
/// lavapipe; the second line has the row lengths that are multiples of 4 (wgpu's vec4 kernel)
/// for some or all transpose flags, with ragged row counts and k tails.
const SHAPES: &[(usize, usize, usize)] = &[
    (1, 1, 1),
    (3, 5, 7),
    (17, 33, 9),
    (64, 64, 16),
    (65, 31, 70),
    (100, 130, 37),
    (129, 10, 200),
    (4, 4, 4),
    (37, 68, 20),
    (68, 36, 9),
    (132, 72, 44),
    (8, 4, 130),
    (129, 132, 8),
    // Long k for few outputs: the wgpu split-K paths (vec4 and scalar kernels + reduce pass).
    (96, 64, 256),
    (40, 10, 1000),
    // Larger products with long k (split-K on the vec4 kernel).
    (160, 136, 300),
    (256, 132, 20),
];

pub fn gemm_matches_cpu<B: Backend>(be: &B) {
    gemm_shapes_match_cpu(be, SHAPES);
}

/// GEMM on `shapes` (every transpose pair, with and without alpha / beta) against the CPU.
pub fn gemm_shapes_match_cpu<B: Backend>(be: &B, shapes: &[(usize, usize, usize)]) {
    let cpu = CpuBackend::new(1);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    for &(m, n, k) in shapes {
        for (ta, tb) in
            [(Trans::No, Trans::No), (Trans::Yes, Trans::No), (Trans::No, Trans::Yes), (Trans::Yes, Trans::Yes)]
        {
            for (alpha, beta) in [(1.0f32, 0.0f32), (-0.5, 0.75)] {
                let a = rand_vec(&mut rng, m * k);
                let b = rand_vec(&mut rng, k * n);
                let c0 = rand_vec(&mut rng, m * n);
                let mut want = c0.clone();
                cpu.gemm(m, n, k, alpha, &a, ta, &b, tb, beta, &mut want);
                let (ga, gb) = (up(be, &a), up(be, &b));
                let mut gc = up(be, &c0);
                be.gemm(m, n, k, alpha, &ga, ta, &gb, tb, beta, &mut gc);
                let got = down(be, &gc, m * n);
                assert_close(
                    &format!("gemm {m}x{n}x{k} {ta:?} {tb:?} alpha {alpha} beta {beta}"),
                    &got,
                    &want,
                    1e-4 * (k as f32).sqrt().max(1.0),
                );
            }
        }
    }
}

pub fn elementwise_matches_cpu<B: Backend>(be: &B) {
    let cpu = CpuBackend::new(1);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    for &(rows, cols) in &[(1usize, 1usize), (7, 3), (33, 65), (300, 17)] {
        let len = rows * cols;
        for act in [Activation::Identity, Activation::Logistic, Activation::Tanh, Activation::Relu] {
            let z = rand_vec(&mut rng, len);
            let bias = rand_vec(&mut rng, cols);
            let mut want = z.clone();
            cpu.bias_act(&mut want, rows, cols, &bias, act);
            let mut gz = up(be, &z);
            be.bias_act(&mut gz, rows, cols, &up(be, &bias), act);
            assert_close(&format!("bias_act {act:?}"), &down(be, &gz, len), &want, 1e-5);

            let delta = rand_vec(&mut rng, len);
            let mut want_d = delta.clone();
            cpu.act_backward(&want, &mut want_d, len, act);
            let mut gd = up(be, &delta);
            be.act_backward(&up(be, &want), &mut gd, len, act);
            assert_close(&format!("act_backward {act:?}"), &down(be, &gd, len), &want_d, 1e-5);
        }
        // fill and scale_copy touch only the first `len - 1` values.
        let src = rand_vec(&mut rng, len);
        let mut gdst = up(be, &src);
        be.fill(&mut gdst, len.saturating_sub(1), 2.5);
        let mut want = src.clone();
        cpu.fill(&mut want, len.saturating_sub(1), 2.5);
        assert_close("fill", &down(be, &gdst, len), &want, 0.0);
        let mut gdst2 = be.zeros(len).unwrap();
        be.scale_copy(&up(be, &src), -3.0, &mut gdst2, len);
        let want: Vec<f32> = src.iter().map(|v| -3.0 * v).collect();
        assert_close("scale_copy", &down(be, &gdst2, len), &want, 1e-6);

        // Column sums with a scale.
        let mut want = vec![0.0; cols];
        cpu.col_sums(&src, rows, cols, 0.5, &mut want);
        let mut gout = be.zeros(cols).unwrap();
        be.col_sums(&up(be, &src), rows, cols, 0.5, &mut gout);
        assert_close("col_sums", &down(be, &gout, cols), &want, 1e-5);

        // The L2 term accumulates into the loss scalar.
        let mut want = vec![1.5];
        cpu.sum_squares(&src, len, 0.25, &mut want);
        let mut gl = up(be, &[1.5]);
        be.sum_squares(&up(be, &src), len, 0.25, &mut gl);
        assert_close("sum_squares", &[be.read_scalar(&gl).unwrap() as f32], &want, 1e-5);
    }
}

pub fn gathers_match_cpu<B: Backend>(be: &B) {
    let cpu = CpuBackend::new(1);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let (n, cols) = (301, 13);
    let src = rand_vec(&mut rng, n * cols);
    let labels: Vec<u32> = (0..n as u32).map(|i| (i * 7) % 5).collect();
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.reverse();
    order.swap(3, 200);
    // Minibatches of at most 22 rows (the split-data test's 301-value buffer limit holds 22 x 13).
    for range in [0..1, 5..27, 280..301] {
        let rows = range.len();
        let mut want = vec![0.0; rows * cols];
        cpu.gather_rows(&src, cols, &order, range.clone(), &mut want);
        let gorder = be.upload_idx(&order).unwrap();
        let mut gdst = be.zeros(rows * cols).unwrap();
        // The sources are training data: `upload_data`, which a backend may split.
        be.gather_rows(&be.upload_data(&src).unwrap(), cols, &gorder, range.clone(), &mut gdst);
        assert_close("gather_rows", &down(be, &gdst, rows * cols), &want, 0.0);

        let mut want_i = vec![0u32; rows];
        cpu.gather_idx(&labels, &order, range.clone(), &mut want_i);
        let mut gi = be.upload_idx(&vec![0; rows]).unwrap();
        be.gather_idx(&be.upload_data_idx(&labels).unwrap(), &gorder, range.clone(), &mut gi);
        // Read the indices back through a one-hot softmax gradient: grad[r, y_r] = p - 1 < 0.
        let z = vec![0.0f32; rows * 5];
        let mut grad = be.zeros(rows * 5).unwrap();
        let mut loss = be.zeros(1).unwrap();
        be.softmax_xent(&up(be, &z), &gi, rows, 5, 1.0, &mut grad, &mut loss);
        let g = down(be, &grad, rows * 5);
        for (r, &want) in want_i.iter().enumerate() {
            let got = (0..5).find(|&c| g[r * 5 + c] < 0.0).unwrap();
            assert_eq!(got as u32, want, "gather_idx row {r}");
        }
    }
}

pub fn losses_match_cpu<B: Backend>(be: &B) {
    let cpu = CpuBackend::new(1);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
    for &(rows, cols) in &[(1usize, 2usize), (7, 3), (300, 10), (513, 1)] {
        let len = rows * cols;
        let z: Vec<f32> = rand_vec(&mut rng, len).iter().map(|v| v * 8.0).collect();
        let labels: Vec<u32> = (0..rows).map(|_| rng.gen_range(0..cols.max(2) as u32) % cols.max(1) as u32).collect();
        let scale = 1.0 / rows as f32;
        let gz = up(be, &z);
        let gl = be.upload_idx(&labels).unwrap();

        let (mut want_g, mut want_l) = (vec![0.0; len], vec![0.5]);
        cpu.softmax_xent(&z, &labels, rows, cols, scale, &mut want_g, &mut want_l);
        let (mut gg, mut gloss) = (be.zeros(len).unwrap(), up(be, &[0.5]));
        be.softmax_xent(&gz, &gl, rows, cols, scale, &mut gg, &mut gloss);
        assert_close("softmax_xent grad", &down(be, &gg, len), &want_g, 1e-5);
        assert_close("softmax_xent loss", &[be.read_scalar(&gloss).unwrap() as f32], &want_l, 1e-4);

        let bin: Vec<u32> = labels.iter().map(|l| l % 2).collect();
        let (mut want_g, mut want_l) = (vec![0.0; rows], vec![0.0]);
        cpu.logistic_xent(&z, &bin, rows, scale, &mut want_g, &mut want_l);
        let (mut gg, mut gloss) = (be.zeros(rows).unwrap(), be.zeros(1).unwrap());
        be.logistic_xent(&gz, &be.upload_idx(&bin).unwrap(), rows, scale, &mut gg, &mut gloss);
        assert_close("logistic_xent grad", &down(be, &gg, rows), &want_g, 1e-5);
        assert_close("logistic_xent loss", &[be.read_scalar(&gloss).unwrap() as f32], &want_l, 1e-4);

        let target = rand_vec(&mut rng, len);
        let (mut want_g, mut want_l) = (vec![0.0; len], vec![0.0]);
        cpu.squared_error(&z, &target, rows, cols, scale, &mut want_g, &mut want_l);
        let (mut gg, mut gloss) = (be.zeros(len).unwrap(), be.zeros(1).unwrap());
        be.squared_error(&gz, &up(be, &target), rows, cols, scale, &mut gg, &mut gloss);
        assert_close("squared_error grad", &down(be, &gg, len), &want_g, 1e-5);
        assert_close("squared_error loss", &[be.read_scalar(&gloss).unwrap() as f32], &want_l, 1e-4);
    }
}

pub fn optimizers_match_cpu<B: Backend>(be: &B) {
    let cpu = CpuBackend::new(1);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    for len in [1usize, 255, 257, 1000] {
        let (p0, g) = (rand_vec(&mut rng, len), rand_vec(&mut rng, len));
        let (m0, v0) = (rand_vec(&mut rng, len), rand_vec(&mut rng, len));
        let v0: Vec<f32> = v0.iter().map(|v| v.abs()).collect();
        let step = AdamStep { lr: 0.01, beta_1: 0.9, beta_2: 0.999, epsilon: 1e-8 };
        let (mut p, mut m, mut v) = (p0.clone(), m0.clone(), v0.clone());
        // Two steps: the second reads the moments the first wrote.
        for _ in 0..2 {
            cpu.adam(&mut p, &g, &mut m, &mut v, len, step);
        }
        let (mut gp, gg, mut gm, mut gv) = (up(be, &p0), up(be, &g), up(be, &m0), up(be, &v0));
        for _ in 0..2 {
            be.adam(&mut gp, &gg, &mut gm, &mut gv, len, step);
        }
        assert_close("adam param", &down(be, &gp, len), &p, 1e-5);
        assert_close("adam m", &down(be, &gm, len), &m, 1e-5);
        assert_close("adam v", &down(be, &gv, len), &v, 1e-5);

        for nesterov in [false, true] {
            let step = SgdStep { lr: 0.1, momentum: 0.9, nesterov };
            let (mut p, mut vel) = (p0.clone(), m0.clone());
            cpu.sgd(&mut p, &g, &mut vel, len, step);
            let (mut gp, mut gvel) = (up(be, &p0), up(be, &m0));
            be.sgd(&mut gp, &gg, &mut gvel, len, step);
            assert_close("sgd param", &down(be, &gp, len), &p, 1e-5);
            assert_close("sgd velocity", &down(be, &gvel, len), &vel, 1e-5);
        }
    }
}

/// Thousands of kernels without a host read in between (more than the wgpu backend records
/// per submit), then one read: nothing is lost or reordered across submits.
pub fn long_streams_stay_ordered<B: Backend>(be: &B) {
    let x = up(be, &[1.0, 2.0]);
    let mut acc = up(be, &[0.0]);
    let mut tmp = be.zeros(2).unwrap();
    for i in 0..2500 {
        // acc += 5 every iteration; the fill / scale_copy pair checks write-after-write order.
        be.fill(&mut tmp, 2, i as f32);
        be.scale_copy(&x, 1.0, &mut tmp, 2);
        be.sum_squares(&tmp, 2, 1.0, &mut acc);
    }
    assert_eq!(be.read_scalar(&acc).unwrap(), 12_500.0);
    // A host write lands after the work recorded before it.
    be.fill(&mut tmp, 2, 7.0);
    be.write(&mut tmp, &[3.0]).unwrap();
    assert_eq!(down(be, &tmp, 2), vec![3.0, 7.0]);
    be.synchronize().unwrap();
}

fn blobs(n: usize, k: usize) -> (Array2<f64>, Vec<i64>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let y: Vec<i64> = (0..n).map(|i| (i % k) as i64).collect();
    let x = Array2::from_shape_fn((n, 5), |(i, j)| {
        let c = (i % k) as f64;
        (c * 1.3 * if j.is_multiple_of(2) { 1.0 } else { -0.8 }).sin() * 2.0 + rng.gen_range(-0.8..0.8)
    });
    (x, y)
}

#[track_caller]
fn curves_close(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: epochs");
    for (e, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "{what}: epoch {e} loss {g}, the CPU's {w}");
    }
}

/// Fits on `device` and on the CPU with the same seed: the loss curves stay close and the
/// scores agree; the GPU-trained model survives a JSON round trip and predicts the same.
pub fn training_matches_cpu(device: Device) {
    // Three classes (softmax), Adam, two hidden layers, a ragged last minibatch.
    let (x, y) = blobs(150, 3);
    let est = MlpClassifier::default()
        .hidden_layer_sizes([24, 12])
        .batch_size(32)
        .max_iter(12)
        .learning_rate_init(0.01)
        .alpha(1e-3)
        .seed(7);
    let cpu = est.clone().device(Device::Cpu).fit(&x, &y).unwrap();
    let gpu = est.clone().device(device).fit(&x, &y).unwrap();
    assert_eq!(gpu.device(), device);
    curves_close("softmax adam", gpu.loss_curve(), cpu.loss_curve(), 2e-3);
    let (sc, sg) = (cpu.score(&x, &y).unwrap(), gpu.score(&x, &y).unwrap());
    assert!((sc - sg).abs() <= 0.02, "accuracy: cpu {sc}, {device} {sg}");
    let json = serde_json::to_string(&gpu).unwrap();
    let back: oxlearn_nn::FittedMlpClassifier<i64> = serde_json::from_str(&json).unwrap();
    assert_eq!(back.device(), device);
    assert_eq!(back.predict(&x).unwrap(), gpu.predict(&x).unwrap());
    // Prediction runs on the training device (f32 batches) unless told otherwise; the f64 CPU
    // pass agrees within 1e-5 on the probabilities, either way round.
    assert_eq!(gpu.predict_device(), device);
    let mut on_cpu = back.clone();
    on_cpu.set_predict_device(Device::Cpu);
    assert_eq!(on_cpu.predict_device(), Device::Cpu);
    let (pg, pc) = (gpu.predict_proba(&x).unwrap(), on_cpu.predict_proba(&x).unwrap());
    assert!(pg.iter().zip(&pc).all(|(g, c)| (g - c).abs() <= 1e-5), "GPU vs CPU probabilities");
    let mut cpu_on_gpu: oxlearn_nn::FittedMlpClassifier<i64> =
        serde_json::from_str(&serde_json::to_string(&cpu).unwrap()).unwrap();
    assert_eq!(cpu_on_gpu.predict_device(), Device::Cpu);
    cpu_on_gpu.set_predict_device(device);
    let (pg, pc) = (cpu_on_gpu.predict_proba(&x).unwrap(), cpu.predict_proba(&x).unwrap());
    assert!(pg.iter().zip(&pc).all(|(g, c)| (g - c).abs() <= 1e-5), "CPU-trained model on {device}");

    // Two classes (logistic output), SGD with Nesterov momentum, tanh.
    let (x2, y2) = blobs(90, 2);
    let est = MlpClassifier::default()
        .hidden_layer_sizes([16])
        .activation(Activation::Tanh)
        .solver(Solver::Sgd)
        .learning_rate_init(0.05)
        .batch_size(20)
        .max_iter(10)
        .seed(3);
    let cpu = est.clone().device(Device::Cpu).fit(&x2, &y2).unwrap();
    let gpu = est.device(device).fit(&x2, &y2).unwrap();
    curves_close("logistic sgd", gpu.loss_curve(), cpu.loss_curve(), 2e-3);

    // Regression (squared error), logistic activation, early stopping.
    let target: Array1<f64> = x.column(0).mapv(|v| v * 0.5) + x.column(1).mapv(|v| v * v * 0.1);
    let est = MlpRegressor::default()
        .hidden_layer_sizes([20])
        .activation(Activation::Logistic)
        .learning_rate_init(0.01)
        .max_iter(15)
        .early_stopping(true)
        .seed(5);
    let cpu = est.clone().device(Device::Cpu).fit(&x, &target).unwrap();
    let gpu = est.device(device).fit(&x, &target).unwrap();
    curves_close("regression", gpu.loss_curve(), cpu.loss_curve(), 2e-3);
    let (rc, rg) = (cpu.score(&x, &target).unwrap(), gpu.score(&x, &target).unwrap());
    assert!((rc - rg).abs() <= 0.02, "R^2: cpu {rc}, {device} {rg}");
    let mut on_cpu = gpu.clone();
    on_cpu.set_predict_device(Device::Cpu);
    let (pg, pc) = (gpu.predict(&x).unwrap(), on_cpu.predict(&x).unwrap());
    assert!(pg.iter().zip(&pc).all(|(g, c)| (g - c).abs() <= 1e-5 * (1.0 + c.abs())), "regression predictions");
}

/// Without an L2 term the weight gradients are overwritten, not accumulated: the same batch
/// twice gives the same gradients; with one, the L2 part is reset each step (same check).
pub fn gradients_are_per_step<B: Backend>(be: B) {
    use oxlearn_nn::network::{HostTargets, Network, OutputLoss};
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(12);
    let units = [6usize, 8, 3];
    let coefs: Vec<Vec<f32>> = units.windows(2).map(|w| rand_vec(&mut rng, w[0] * w[1])).collect();
    let intercepts: Vec<Vec<f32>> = units[1..].iter().map(|&u| rand_vec(&mut rng, u)).collect();
    let x = rand_vec(&mut rng, 20 * 6);
    let labels: Vec<u32> = (0..20).map(|i| i % 3).collect();
    let mut grads = Vec::new();
    let mut net =
        Network::new(be, &units, Activation::Relu, OutputLoss::SoftmaxCrossEntropy, 0.0, &coefs, &intercepts, 20)
            .unwrap();
    let data = net.upload_data(&x, HostTargets::Classes(&labels)).unwrap();
    let order = net.backend().upload_idx(&(0..20).collect::<Vec<_>>()).unwrap();
    for _ in 0..2 {
        net.compute_gradients(&data, &order, 0..20);
        grads.push(net.read_gradients().unwrap());
    }
    assert_close("gW, second pass", &grads[1].0.concat(), &grads[0].0.concat(), 1e-6);
    assert_close("gb, second pass", &grads[1].1.concat(), &grads[0].1.concat(), 1e-6);
    assert!(grads[0].0.concat().iter().any(|&g| g != 0.0));
}

/// Whole epochs through [`Network::train_epoch`] (which replays a recorded step where the
/// backend can: CUDA graphs) give the parameters of the plain step-by-step loop, with Adam and
/// with SGD, over shuffled orders and a short last batch (`make` builds a fresh backend for
/// each run).
pub fn epochs_match_steps<B: Backend>(make: impl Fn() -> B) {
    use oxlearn_nn::network::{HostTargets, Network, Optimizer, OutputLoss};
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(21);
    let (units, n, batch) = ([5usize, 16, 12, 3], 100usize, 8usize);
    let coefs: Vec<Vec<f32>> = units.windows(2).map(|w| rand_vec(&mut rng, w[0] * w[1])).collect();
    let intercepts: Vec<Vec<f32>> = units[1..].iter().map(|&u| rand_vec(&mut rng, u)).collect();
    let x = rand_vec(&mut rng, n * units[0]);
    let labels: Vec<u32> = (0..n as u32).map(|i| i % 3).collect();
    let orders: Vec<Vec<u32>> = (0..2)
        .map(|_| {
            let mut o: Vec<u32> = (0..n as u32).collect();
            for i in (1..n).rev() {
                o.swap(i, rng.gen_range(0..=i));
            }
            o
        })
        .collect();
    for adam in [true, false] {
        let mut params = Vec::new();
        for by_epoch in [true, false] {
            let mut net = Network::new(
                make(),
                &units,
                Activation::Relu,
                OutputLoss::SoftmaxCrossEntropy,
                1e-3,
                &coefs,
                &intercepts,
                batch,
            )
            .unwrap();
            let data = net.upload_data(&x, HostTargets::Classes(&labels)).unwrap();
            let mut order = net.backend().upload_idx(&orders[0]).unwrap();
            let zeros = |net: &Network<B>| -> Vec<B::Buf> {
                net.param_lens().into_iter().map(|len| net.backend().zeros(len).unwrap()).collect()
            };
            let mut opt = if adam {
                Optimizer::Adam {
                    m: zeros(&net),
                    v: zeros(&net),
                    t: 0,
                    lr_init: 1e-2,
                    beta_1: 0.9,
                    beta_2: 0.999,
                    epsilon: 1e-8,
                }
            } else {
                Optimizer::Sgd { velocity: zeros(&net), lr: 0.05, momentum: 0.9, nesterov: true }
            };
            for epoch_order in &orders {
                net.backend().write_idx(&mut order, epoch_order).unwrap();
                if by_epoch {
                    net.train_epoch(&data, &order, n, batch, &mut opt).unwrap();
                } else {
                    for start in (0..n).step_by(batch) {
                        net.train_step(&data, &order, start..(start + batch).min(n), &mut opt);
                    }
                }
            }
            if let Optimizer::Adam { t, .. } = &opt {
                assert_eq!(*t, 2 * n.div_ceil(batch) as u64, "Adam's step count");
            }
            params.push(net.read_params().unwrap());
        }
        let what = if adam { "Adam" } else { "SGD" };
        assert_close(&format!("{what}: weights"), &params[0].0.concat(), &params[1].0.concat(), 1e-5);
        assert_close(&format!("{what}: biases"), &params[0].1.concat(), &params[1].1.concat(), 1e-5);
    }
}

/// The suite for one backend: `$be` builds it (and must fail loudly if it cannot).
macro_rules! backend_suite {
    ($name:ident, $be:expr, $device:expr) => {
        mod $name {
            use super::*;

            #[test]
            fn gemm() {
                gemm_matches_cpu(&$be);
            }
            #[test]
            fn elementwise() {
                elementwise_matches_cpu(&$be);
            }
            #[test]
            fn gathers() {
                gathers_match_cpu(&$be);
            }
            #[test]
            fn losses() {
                losses_match_cpu(&$be);
            }
            #[test]
            fn optimizers() {
                optimizers_match_cpu(&$be);
            }
            #[test]
            fn long_streams() {
                long_streams_stay_ordered(&$be);
            }
            #[test]
            fn training() {
                training_matches_cpu($device);
            }
            #[test]
            fn gradients_per_step() {
                gradients_are_per_step($be);
            }
            #[test]
            fn epochs() {
                epochs_match_steps(|| $be);
            }
        }
    };
}

backend_suite!(cpu, CpuBackend::new(2), Device::Cpu);

fn wgpu_any() -> oxlearn_nn::backend::wgpu::WgpuBackend {
    let be = oxlearn_nn::backend::wgpu::WgpuBackend::new(oxlearn_nn::backend::wgpu::AdapterChoice::Any)
        .unwrap_or_else(|e| panic!("no wgpu adapter at all (CI installs mesa-vulkan-drivers for lavapipe): {e}"));
    eprintln!("backend suite: wgpu on {}", be.adapter());
    be
}

backend_suite!(wgpu, wgpu_any(), Device::WgpuAny);

/// Device limits, forced small on lavapipe: training data over the limit is split over several
/// buffers and gathered segment by segment; other buffers over it are typed errors; prediction
/// batches shrink to fit.
#[test]
fn wgpu_small_buffer_limit() {
    use oxlearn_nn::network::Predictor;
    let mut be = wgpu_any();
    // 301 values: the gather order (not split) just fits; 301 x 13 values of data over
    // 300-value segments (whole 16-byte groups), the 301 labels in two.
    be.set_max_buffer_bytes(1204);
    assert_eq!(be.max_buffer_len(), 301);
    gathers_match_cpu(&be);
    assert_eq!(be.upload_data(&vec![1.0; 3913]).unwrap().buffers(), 14);
    let err = be.zeros(302).unwrap_err();
    assert!(matches!(err, oxlearn_core::Error::InvalidInput(_)), "{err}");
    assert!(err.to_string().contains("exceeds the largest buffer of 1204 bytes"), "{err}");

    // A 5 -> 24 -> 12 -> 3 network: batches of 301 / 24 = 12 rows, against the CPU backend.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let units = [5usize, 24, 12, 3];
    let coefs: Vec<Vec<f32>> = units.windows(2).map(|w| rand_vec(&mut rng, w[0] * w[1])).collect();
    let intercepts: Vec<Vec<f32>> = units[1..].iter().map(|&u| rand_vec(&mut rng, u)).collect();
    let x = rand_vec(&mut rng, 37 * 5);
    let mut gpu = Predictor::new(be, &units, Activation::Tanh, &coefs, &intercepts, 1000).unwrap();
    let mut cpu = Predictor::new(CpuBackend::new(1), &units, Activation::Tanh, &coefs, &intercepts, 1000).unwrap();
    assert_eq!(gpu.batch(), 12);
    let (mut got, mut want) = (vec![0.0; 37 * 3], vec![0.0; 37 * 3]);
    for start in (0..37).step_by(12) {
        let end = (start + 12).min(37);
        gpu.forward(&x[start * 5..end * 5], &mut got[start * 3..end * 3]).unwrap();
    }
    cpu.forward(&x, &mut want).unwrap();
    assert_close("batched prediction", &got, &want, 1e-5);
    let mut tiny = wgpu_any();
    tiny.set_max_buffer_bytes(64);
    let err = Predictor::new(tiny, &units, Activation::Tanh, &coefs, &intercepts, 1000).unwrap_err();
    assert!(matches!(err, oxlearn_core::Error::InvalidInput(_)), "{err}");
}

/// A GPU named for prediction that is absent is a typed error; the configured device falls back
/// to the CPU (a GPU-trained model loaded on a machine without that GPU).
#[test]
fn predict_device_fallback_and_errors() {
    let (x, y) = blobs(30, 3);
    let mut model = MlpClassifier::default().device(Device::Cpu).max_iter(2).seed(0).fit(&x, &y).unwrap();
    if Device::Wgpu.resolve("MlpClassifier").is_err() {
        model.set_predict_device(Device::Wgpu);
        let err = model.predict(&x).unwrap_err();
        assert!(matches!(err, oxlearn_core::Error::Unsupported { .. }), "{err}");
        // A model configured for a hardware GPU, loaded here, predicts on the CPU.
        let json = serde_json::to_string(&model).unwrap().replace("\"device\":\"cpu\"", "\"device\":\"wgpu\"");
        let loaded: oxlearn_nn::FittedMlpClassifier<i64> = serde_json::from_str(&json).unwrap();
        assert_eq!(loaded.config().device, Device::Wgpu);
        assert_eq!(loaded.predict_device(), Device::Cpu);
        assert_eq!(loaded.predict(&x).unwrap().len(), 30);
    }
}

/// Every wgpu GEMM kernel, forced, on every shape (the vec4 ones fall back to the tiled kernel
/// where a shape is not aligned), with and without split-K.
#[test]
fn wgpu_gemm_kernels() {
    use oxlearn_nn::backend::wgpu::GemmKernel;
    let mut be = wgpu_any();
    for kernel in [GemmKernel::Tiled, GemmKernel::Vec4x4, GemmKernel::Vec8x4] {
        be.set_gemm_kernel(kernel);
        gemm_matches_cpu(&be);
    }
    be.set_gemm_kernel(GemmKernel::Auto);
    be.set_split_k(false);
    gemm_matches_cpu(&be);
}

/// The workgroup-tiled GEMM kernels, forced, on aligned shapes with partial blocks at every
/// edge, k tails shorter than a slice, and forced k splits (uneven ones included).
#[test]
fn wgpu_gemm_tile_kernels() {
    use oxlearn_nn::backend::wgpu::{GemmKernel, TileShape};
    let mut be = wgpu_any();
    let shapes = [(4, 4, 4), (136, 132, 52), (8, 260, 100), (200, 64, 36)];
    let narrow = TileShape { bm: 64, bn: 32, bk: 8, tm: 8, tn: 4 };
    for (shape, splits) in [(TileShape::T128, 0), (TileShape::T64, 0), (TileShape::T64, 3), (narrow, 2)] {
        be.set_gemm_kernel(GemmKernel::Tile { shape, splits });
        gemm_shapes_match_cpu(&be, &shapes);
    }
    let parsed = GemmKernel::parse("tile:64x32x8:8x4:s2");
    assert_eq!(parsed, Some(GemmKernel::Tile { shape: narrow, splits: 2 }));
    assert_eq!(GemmKernel::parse("tile:64x32x6:8x4"), None, "bk must be a multiple of 4");
}

#[cfg(feature = "cuda")]
fn cuda_present() -> bool {
    // The GPU machine sets OXLEARN_REQUIRE_CUDA=1 so a broken driver fails instead of skipping.
    let ok = oxlearn_nn::backend::cuda::CudaContext::get().is_ok();
    if !ok && std::env::var_os("OXLEARN_REQUIRE_CUDA").is_some() {
        panic!(
            "OXLEARN_REQUIRE_CUDA is set but CUDA is unavailable: {:?}",
            oxlearn_nn::backend::cuda::CudaContext::get().err()
        );
    }
    ok
}

#[cfg(feature = "cuda")]
mod cuda {
    use super::*;
    use oxlearn_nn::backend::cuda::CudaBackend;

    macro_rules! cuda_test {
        ($name:ident, $f:expr) => {
            #[test]
            fn $name() {
                if !cuda_present() {
                    // Without a driver the typed error is the behaviour under test.
                    let err = CudaBackend::new().unwrap_err();
                    assert!(matches!(err, oxlearn_core::Error::Unsupported { .. }), "{err}");
                    let (x, y) = blobs(30, 3);
                    let err = MlpClassifier::default().device(Device::Cuda).max_iter(2).fit(&x, &y).unwrap_err();
                    assert!(matches!(err, oxlearn_core::Error::Unsupported { .. }), "{err}");
                    eprintln!("no CUDA driver here: checked the typed error ({err})");
                    return;
                }
                let be = CudaBackend::new().unwrap();
                #[allow(clippy::redundant_closure_call)]
                ($f)(&be);
            }
        };
    }
    cuda_test!(gemm, |be: &CudaBackend| gemm_matches_cpu(be));
    cuda_test!(elementwise, |be: &CudaBackend| elementwise_matches_cpu(be));
    cuda_test!(gathers, |be: &CudaBackend| gathers_match_cpu(be));
    cuda_test!(losses, |be: &CudaBackend| losses_match_cpu(be));
    cuda_test!(optimizers, |be: &CudaBackend| optimizers_match_cpu(be));
    cuda_test!(long_streams, |be: &CudaBackend| long_streams_stay_ordered(be));
    cuda_test!(training, |_be: &CudaBackend| training_matches_cpu(Device::Cuda));
    cuda_test!(gradients_per_step, |_be: &CudaBackend| gradients_are_per_step(CudaBackend::new().unwrap()));
    // Replayed steps (CUDA graphs) against eager ones.
    cuda_test!(epochs, |_be: &CudaBackend| epochs_match_steps(|| CudaBackend::new().unwrap()));
    cuda_test!(epochs_eager, |_be: &CudaBackend| epochs_match_steps(|| {
        let mut be = CudaBackend::new().unwrap();
        be.set_step_replay(false);
        be
    }));
    // TF32 is opt-in per backend: after a TF32 backend's GEMM, the shared cuBLAS handle goes back
    // to fp32 for a default backend (the strict tolerances of the GEMM test hold again).
    cuda_test!(tf32_is_opt_in, |be: &CudaBackend| {
        assert!(!be.allow_tf32() || std::env::var_os("OXLEARN_CUDA_TF32").is_some());
        let mut tf32 = CudaBackend::new().unwrap();
        tf32.set_allow_tf32(true);
        let a = up(&tf32, &[1.0; 64 * 64]);
        let mut c = tf32.zeros(64 * 64).unwrap();
        tf32.gemm(64, 64, 64, 1.0, &a, Trans::No, &a, Trans::No, 0.0, &mut c);
        assert_eq!(down(&tf32, &c, 1), vec![64.0]);
        let mut fp32 = CudaBackend::new().unwrap();
        fp32.set_allow_tf32(false);
        gemm_matches_cpu(&fp32);
    });
}

#[test]
fn auto_never_picks_a_software_adapter() {
    let (x, y) = blobs(30, 3);
    let model = MlpClassifier::default().max_iter(2).seed(0).fit(&x, &y).unwrap();
    // On lavapipe-only machines Auto is the CPU; on a GPU machine, a GPU.
    let hw = oxlearn_nn::backend::wgpu::WgpuContext::get(oxlearn_nn::backend::wgpu::AdapterChoice::Hardware);
    match model.device() {
        Device::Cpu => assert!(hw.is_err()),
        Device::Wgpu => assert!(!hw.unwrap().adapter().software),
        Device::Cuda => {}
        other => panic!("Auto resolved to {other}"),
    }
}
