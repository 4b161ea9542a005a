//! Integration tests of oxlearn-pipeline.

mod chain;
mod common;
mod model_file;
mod nan_state;
mod pipeline;
mod selection;
mod weights;
