//! An MLP classifier behind a StandardScaler in a Pipeline, on the embedded digits dataset
//! (1797 8x8 images, 10 classes): fit, held-out accuracy, the device that trained it, and the
//! epochs watched through a callback.
//!
//! `cargo run --release --example mlp -- [cpu|auto|wgpu|cuda] [max_iter]`. Without a device
//! argument it trains on the CPU, or on the GPU when one is present (`Device::Auto`: CUDA when
//! built with `--features cuda` and a driver is found, else a hardware wgpu adapter; never a
//! software rasterizer). The fitted model says which device it actually used.

use std::error::Error;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use oxlearn::core::{Callback, Output, Progress, TargetView};
use oxlearn::nn::FittedMlpClassifier;
use oxlearn::pipeline::train_test_split;
use oxlearn::prelude::*;

/// What a run measured.
#[derive(Debug)]
struct Report {
    device: Device,
    accuracy: f64,
    epochs: usize,
    callback_epochs: usize,
}

/// `Device::Auto` when it finds a GPU, else the CPU.
fn default_device() -> Device {
    match Device::Auto.resolve("MlpClassifier") {
        Ok(Device::Cpu) | Err(_) => Device::Cpu,
        Ok(_) => Device::Auto,
    }
}

fn run(device: Device, max_iter: usize) -> Result<Report, Box<dyn Error>> {
    let digits = oxlearn::datasets::digits();
    let split = train_test_split(&digits.x, &digits.y).test_size(0.25).stratify(true).seed(0).split()?;
    let y_train = split.y_train.mapv(Label::Int);
    let y_test = split.y_test.mapv(Label::Int);

    let epochs = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&epochs);
    let watch = Callback::new(move |p: &Progress<'_>| {
        seen.fetch_add(1, Ordering::Relaxed);
        if p.iteration.is_multiple_of(10) {
            println!("  epoch {:>3}  loss {:.4}", p.iteration, p.loss.unwrap_or(f64::NAN));
        }
        ControlFlow::Continue(())
    });
    let mlp = MlpClassifier::default()
        .hidden_layer_sizes([128, 64])
        .max_iter(max_iter)
        .seed(0)
        .device(device)
        .callback(watch);
    let pipe = Pipeline::new().step("scale", StandardScaler::default()).step("mlp", mlp);

    let t = std::time::Instant::now();
    let fitted = pipe.fit_xy(split.x_train.view(), TargetView::Labels(y_train.view()))?;
    let seconds = t.elapsed().as_secs_f64();
    let model = fitted.named_step_as::<FittedMlpClassifier<Label>>("mlp").ok_or("the mlp step is an MLP")?;
    let Output::Labels(predicted) = fitted.predict_dyn(split.x_test.view())? else {
        return Err("a classifier predicts labels".into());
    };
    let accuracy = oxlearn::core::metrics::accuracy_score(y_test.view(), predicted.view())?;
    println!(
        "MlpClassifier(128, 64) on {} (asked for {}): {} epochs in {seconds:.2}s, converged {}, held-out accuracy {accuracy:.4}",
        model.device().as_str(),
        device.as_str(),
        model.n_iter(),
        model.converged(),
    );
    Ok(Report {
        device: model.device(),
        accuracy,
        epochs: model.n_iter(),
        callback_epochs: epochs.load(Ordering::Relaxed),
    })
}

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let device = match args.iter().find(|a| a.parse::<usize>().is_err()) {
        Some(name) => Device::parse(name)?,
        None => default_device(),
    };
    let max_iter = args.iter().find_map(|a| a.parse().ok()).unwrap_or(200);
    let r = run(device, max_iter)?;
    if r.callback_epochs != r.epochs {
        return Err(format!("the callback saw {} of {} epochs", r.callback_epochs, r.epochs).into());
    }
    println!("trained on {}", r.device.as_str());
    if r.accuracy < 0.9 {
        return Err(format!("held-out accuracy {:.4} is below 0.9", r.accuracy).into());
    }
    Ok(())
}

#[cfg(test)]
#[test]
fn runs() {
    // CPU in the test suite: deterministic and quick; a few epochs already score well.
    let r = run(Device::Cpu, 15).unwrap();
    assert_eq!(r.device, Device::Cpu);
    assert_eq!(r.callback_epochs, r.epochs);
    assert!(r.accuracy > 0.9, "{}", r.accuracy);
}
