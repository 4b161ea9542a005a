//! Serde helpers that keep NaN and infinities through JSON: this crate's fields use
//! oxlearn-core's [`serde_f64`](oxlearn_core::serde_f64) field helpers (non-finite values written
//! as the strings `"NaN"`, `"inf"`, `"-inf"`), so a plain `serde_json::to_value` of a fitted
//! transformer keeps them too.

pub(crate) use oxlearn_core::serde_f64::{arr1, opt, opt_arr1, scalar, vec2};
