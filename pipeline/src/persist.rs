//! Model files: one safe, versioned format for every fitted estimator and pipeline.
//!
//! A model file is a [safetensors](https://github.com/huggingface/safetensors) container:
//!
//! - its JSON header's `__metadata__` holds `format` (`"oxlearn-model"`), `format_version`
//!   (`"1"`), `oxlearn_version`, `model_type` (a name from a closed [`Registry`]; never a path
//!   or code), `state` (the fitted model's serde state with every numeric array replaced by a
//!   `{"$tensor": "tN"}` reference) and `sha256` (over the format version, model type, state and
//!   every tensor's name, dtype, shape and bytes);
//! - every numeric array of the state (ndarray data, numeric vectors of 8+ entries) is a typed
//!   tensor (`F64`, `I64` or `U64`) of raw little-endian data. States are written with
//!   [`serde_f64`], so NaN and infinities survive: in the JSON as the
//!   strings `"NaN"`, `"inf"`, `"-inf"`, in an `F64` tensor as themselves.
//!
//! Loading checks, in order: the container (sizes and offsets within the file, by safetensors),
//! the format name, the format version (a newer one is [`ModelFileError::NewerVersion`]), the
//! checksum, the model type against the registry, then rebuilds the state (each tensor may be
//! referenced once, so no allocation exceeds a small multiple of the file size) and the model.
//! Every failure is a typed [`ModelFileError`]; nothing panics and nothing is executed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use oxlearn_core::{DynEstimator, DynFitted, Error, Estimator, Fitted, serde_f64};
use safetensors::tensor::{Dtype, SafeTensors, TensorView};
use serde_json::{Map, Number, Value};
use sha2::{Digest, Sha256};

use crate::pipeline::{FittedPipeline, Pipeline};

/// The `format` field of every model file.
pub const FORMAT_NAME: &str = "oxlearn-model";
/// The newest format version this crate writes and reads.
pub const FORMAT_VERSION: u32 = 1;
/// Arrays shorter than this stay in the JSON state.
const MIN_TENSOR_LEN: usize = 8;
const TENSOR_KEY: &str = "$tensor";

/// What can go wrong reading or writing a model file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelFileError {
    /// The file could not be read or written.
    #[error("model file {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        message: String,
    },
    /// Not an oxlearn model file (bad container, truncated, wrong `format`).
    #[error("model file {path} is not a valid oxlearn model file: {reason}")]
    NotAModelFile {
        /// The file (or `<bytes>`).
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// Written by a newer format version.
    #[error("model file {path} was written by format version {found}; this oxlearn reads up to version {supported}")]
    NewerVersion {
        /// The file.
        path: String,
        /// Its format version.
        found: u64,
        /// The newest this build reads.
        supported: u32,
    },
    /// The checksum does not match: the file was modified or damaged.
    #[error("model file {path} is corrupted: checksum mismatch")]
    Checksum {
        /// The file.
        path: String,
    },
    /// A model type that is not in the registry.
    #[error("model file {path} holds model type {model_type:?}, which is not a registered model type")]
    UnknownModelType {
        /// The file.
        path: String,
        /// The declared type.
        model_type: String,
    },
    /// Another model type than the caller asked for.
    #[error("model file {path} holds a {found}, not a {expected}")]
    WrongModelType {
        /// The file.
        path: String,
        /// What the caller asked for.
        expected: String,
        /// What the file holds.
        found: String,
    },
    /// The model's state is inconsistent (a checksum-valid but malformed file).
    #[error("model file {path}: invalid model state: {reason}")]
    InvalidState {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The model cannot be saved (a closure-backed transformer, NaN in the state, ...).
    #[error("cannot save {model_type}: {reason}")]
    Unsaveable {
        /// The model.
        model_type: String,
        /// Why.
        reason: String,
    },
}

impl From<ModelFileError> for Error {
    fn from(e: ModelFileError) -> Self {
        match e {
            ModelFileError::Io { .. } => Error::Io(e.to_string()),
            other => Error::Format(other.to_string()),
        }
    }
}

/// Rebuilds a fitted model from its state.
pub type Loader = fn(Value, &Registry) -> oxlearn_core::Result<Box<dyn DynFitted>>;

/// A closed registry of model types: the only names a model file may declare, each with the
/// loader that rebuilds the fitted model. The facade crate (`oxlearn::registry()`) holds the
/// full one; `Registry::new()` knows only [`Pipeline`].
#[derive(Debug, Clone)]
pub struct Registry {
    entries: BTreeMap<&'static str, Entry>,
}

/// Builds the default estimator of a registered type.
pub type Constructor = fn() -> Box<dyn DynEstimator>;

#[derive(Debug, Clone, Copy)]
struct Entry {
    loader: Loader,
    type_name: &'static str,
    constructor: Option<Constructor>,
}

fn construct<E: Estimator>() -> Box<dyn DynEstimator> {
    Box::new(E::default())
}

fn load_estimator<E: Estimator>(state: Value, _: &Registry) -> oxlearn_core::Result<Box<dyn DynFitted>> {
    E::default().load_fitted(state)
}

fn load_pipeline(state: Value, registry: &Registry) -> oxlearn_core::Result<Box<dyn DynFitted>> {
    let load = |ty: &str, _i: usize, s: Value| registry.load_state(ty, s);
    Ok(Box::new(FittedPipeline::from_state(state, &load)?))
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    /// A registry that knows [`Pipeline`] (whose steps must be registered too).
    pub fn new() -> Self {
        let mut entries = BTreeMap::new();
        entries.insert(
            "Pipeline",
            Entry { loader: load_pipeline, type_name: std::any::type_name::<Pipeline>(), constructor: None },
        );
        Registry { entries }
    }

    /// Registers estimator type `E` under its `NAME`.
    pub fn register<E: Estimator>(&mut self) -> &mut Self {
        self.entries.insert(
            E::NAME,
            Entry {
                loader: load_estimator::<E>,
                type_name: std::any::type_name::<E>(),
                constructor: Some(construct::<E>),
            },
        );
        self
    }

    /// Registers a custom loader under `name` (`type_name`: the Rust type, for audits).
    pub fn register_loader(&mut self, name: &'static str, type_name: &'static str, loader: Loader) -> &mut Self {
        self.entries.insert(name, Entry { loader, type_name, constructor: None });
        self
    }

    /// The registered model-type names.
    pub fn names(&self) -> Vec<&'static str> {
        self.entries.keys().copied().collect()
    }

    /// The Rust type registered under each name (`oxlearn_algorithms::linear::ridge::Ridge`).
    pub fn type_names(&self) -> Vec<(&'static str, &'static str)> {
        self.entries.iter().map(|(k, e)| (*k, e.type_name)).collect()
    }

    /// True when `name` is registered.
    pub fn contains(&self, name: &str) -> bool {
        self.entries.contains_key(name)
    }

    /// Rebuilds a fitted model of type `name` from its state.
    ///
    /// # Errors
    /// `Format` for an unregistered name or a state that does not fit the type.
    pub fn load_state(&self, name: &str, state: Value) -> oxlearn_core::Result<Box<dyn DynFitted>> {
        let entry =
            self.entries.get(name).ok_or_else(|| Error::Format(format!("{name:?} is not a registered model type")))?;
        (entry.loader)(state, self)
    }

    /// The default estimator of a registered type (`None` for composites such as `Pipeline`).
    pub fn estimator(&self, name: &str) -> Option<Box<dyn DynEstimator>> {
        self.entries.get(name)?.constructor.map(|c| c())
    }
}

/// Bytes written per tensor, gathered while walking the state.
struct Tensors {
    list: Vec<(String, Dtype, Vec<u8>, usize)>,
}

impl Tensors {
    fn extract(&mut self, v: Value) -> Value {
        match v {
            // An f64 array holding NaN or infinities (written by `serde_f64` as "NaN", "inf",
            // "-inf") is an F64 tensor too; restoring writes the same strings back.
            Value::Array(items)
                if items.len() >= MIN_TENSOR_LEN
                    && items.iter().any(is_non_finite_str)
                    && items.iter().all(|x| is_non_finite_str(x) || x.as_number().is_some_and(Number::is_f64)) =>
            {
                let bytes = items
                    .iter()
                    .flat_map(|x| match x {
                        Value::String(s) => serde_f64::parse_non_finite(s).unwrap_or(f64::NAN).to_le_bytes(),
                        x => x.as_f64().unwrap_or(f64::NAN).to_le_bytes(),
                    })
                    .collect();
                self.push(Dtype::F64, bytes, items.len())
            }
            Value::Array(items) if items.len() >= MIN_TENSOR_LEN && items.iter().all(Value::is_number) => {
                let nums: Vec<&Number> = items.iter().filter_map(|x| x.as_number()).collect();
                let (dtype, bytes): (Dtype, Vec<u8>) = if nums.iter().all(|n| n.is_f64()) {
                    (Dtype::F64, nums.iter().flat_map(|n| n.as_f64().unwrap_or(f64::NAN).to_le_bytes()).collect())
                } else if nums.iter().all(|n| n.is_i64()) {
                    (Dtype::I64, nums.iter().flat_map(|n| n.as_i64().unwrap_or(0).to_le_bytes()).collect())
                } else if nums.iter().all(|n| n.is_u64()) {
                    (Dtype::U64, nums.iter().flat_map(|n| n.as_u64().unwrap_or(0).to_le_bytes()).collect())
                } else {
                    return Value::Array(items);
                };
                self.push(dtype, bytes, items.len())
            }
            Value::Array(items) => Value::Array(items.into_iter().map(|x| self.extract(x)).collect()),
            Value::Object(m) => Value::Object(m.into_iter().map(|(k, x)| (k, self.extract(x))).collect()),
            other => other,
        }
    }

    /// Stores a tensor; returns its reference.
    fn push(&mut self, dtype: Dtype, bytes: Vec<u8>, len: usize) -> Value {
        let name = format!("t{}", self.list.len());
        self.list.push((name.clone(), dtype, bytes, len));
        let mut m = Map::new();
        m.insert(TENSOR_KEY.into(), Value::String(name));
        Value::Object(m)
    }
}

/// `"NaN"`, `"inf"` or `"-inf"` exactly as [`serde_f64`] writes them.
fn is_non_finite_str(v: &Value) -> bool {
    matches!(v.as_str(), Some(serde_f64::NAN | serde_f64::INF | serde_f64::NEG_INF))
}

fn checksum(version: &str, model_type: &str, state: &str, tensors: &[(&str, Dtype, Vec<usize>, &[u8])]) -> String {
    let mut h = Sha256::new();
    for part in [FORMAT_NAME, version, model_type, state] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    for (name, dtype, shape, data) in tensors {
        h.update((name.len() as u64).to_le_bytes());
        h.update(name.as_bytes());
        h.update(format!("{dtype:?}").as_bytes());
        for s in shape {
            h.update((*s as u64).to_le_bytes());
        }
        h.update((data.len() as u64).to_le_bytes());
        h.update(data);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a model's type name and serde state as model-file bytes.
///
/// # Errors
/// [`ModelFileError::Unsaveable`] when the container cannot be built.
pub fn state_to_bytes(model_type: &str, state: Value) -> Result<Vec<u8>, ModelFileError> {
    let unsaveable = |reason: String| ModelFileError::Unsaveable { model_type: model_type.to_string(), reason };
    let mut tensors = Tensors { list: Vec::new() };
    let state = tensors.extract(state);
    let state_text = serde_json::to_string(&state).map_err(|e| unsaveable(e.to_string()))?;
    let version = FORMAT_VERSION.to_string();
    let views: Vec<(&str, Dtype, Vec<usize>, &[u8])> =
        tensors.list.iter().map(|(n, d, b, len)| (n.as_str(), *d, vec![*len], b.as_slice())).collect();
    let sum = checksum(&version, model_type, &state_text, &views);
    let mut meta = HashMap::new();
    meta.insert("format".to_string(), FORMAT_NAME.to_string());
    meta.insert("format_version".to_string(), version);
    meta.insert("oxlearn_version".to_string(), env!("CARGO_PKG_VERSION").to_string());
    meta.insert("model_type".to_string(), model_type.to_string());
    meta.insert("state".to_string(), state_text);
    meta.insert("sha256".to_string(), sum);
    let data: Vec<(String, TensorView<'_>)> = views
        .iter()
        .map(|(n, d, s, b)| {
            Ok((n.to_string(), TensorView::new(*d, s.clone(), b).map_err(|e| unsaveable(e.to_string()))?))
        })
        .collect::<Result<_, ModelFileError>>()?;
    safetensors::serialize(data, Some(meta)).map_err(|e| unsaveable(e.to_string()))
}

/// A fitted model as model-file bytes.
///
/// # Errors
/// [`ModelFileError::Unsaveable`] when the model's state cannot be serialized.
pub fn to_bytes(model: &dyn DynFitted) -> Result<Vec<u8>, ModelFileError> {
    let state = model
        .state()
        .map_err(|e| ModelFileError::Unsaveable { model_type: model.name().to_string(), reason: e.to_string() })?;
    state_to_bytes(model.name(), state)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), ModelFileError> {
    std::fs::write(path, bytes)
        .map_err(|e| ModelFileError::Io { path: path.display().to_string(), message: e.to_string() })
}

/// Saves a fitted model (boxed, or a [`FittedPipeline`]) to `path`.
///
/// # Errors
/// As [`to_bytes`], and [`ModelFileError::Io`].
pub fn save(model: &dyn DynFitted, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
    write_file(path.as_ref(), &to_bytes(model)?)
}

/// The header of a model file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelHeader {
    /// Format version of the file.
    pub format_version: u64,
    /// oxlearn version that wrote it.
    pub oxlearn_version: String,
    /// Registered model type.
    pub model_type: String,
}

/// Parses and verifies a model file (container, format, version, checksum), returning the
/// header and the state with its tensors restored.
///
/// # Errors
/// Every [`ModelFileError`] but `Io`, `UnknownModelType` and `WrongModelType`.
pub fn read_bytes(bytes: &[u8], path: &str) -> Result<(ModelHeader, Value), ModelFileError> {
    let bad = |reason: String| ModelFileError::NotAModelFile { path: path.to_string(), reason };
    let invalid = |reason: String| ModelFileError::InvalidState { path: path.to_string(), reason };
    let st = SafeTensors::deserialize(bytes).map_err(|e| bad(format!("{e}")))?;
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| bad(format!("{e}")))?;
    let meta = metadata.metadata().as_ref().ok_or_else(|| bad("no metadata".into()))?;
    let field = |k: &str| meta.get(k).ok_or_else(|| bad(format!("no {k:?} field")));
    if field("format")? != FORMAT_NAME {
        return Err(bad(format!("format is {:?}, not {FORMAT_NAME:?}", field("format")?)));
    }
    let version_text = field("format_version")?;
    let version: u64 =
        version_text.parse().map_err(|_| bad(format!("format version {version_text:?} is not a number")))?;
    if version > u64::from(FORMAT_VERSION) {
        return Err(ModelFileError::NewerVersion { path: path.to_string(), found: version, supported: FORMAT_VERSION });
    }
    if version == 0 {
        return Err(bad("format version 0 does not exist".into()));
    }
    let model_type = field("model_type")?.clone();
    let state_text = field("state")?;
    let mut names: Vec<String> = st.names().into_iter().map(str::to_string).collect();
    names.sort_by_key(|n| n.trim_start_matches('t').parse::<u64>().unwrap_or(u64::MAX));
    let mut tensors: HashMap<String, TensorView<'_>> = HashMap::new();
    for n in &names {
        tensors.insert(n.clone(), st.tensor(n).map_err(|e| bad(format!("{e}")))?);
    }
    let views: Vec<(&str, Dtype, Vec<usize>, &[u8])> = names
        .iter()
        .map(|n| {
            let t = &tensors[n];
            (n.as_str(), t.dtype(), t.shape().to_vec(), t.data())
        })
        .collect();
    if &checksum(version_text, &model_type, state_text, &views) != field("sha256")? {
        return Err(ModelFileError::Checksum { path: path.to_string() });
    }
    let state: Value = serde_json::from_str(state_text).map_err(|e| invalid(format!("state is not JSON: {e}")))?;
    let mut used = std::collections::HashSet::new();
    let state = restore(state, &tensors, &mut used).map_err(invalid)?;
    let header =
        ModelHeader { format_version: version, oxlearn_version: field("oxlearn_version")?.clone(), model_type };
    Ok((header, state))
}

fn restore(
    v: Value,
    tensors: &HashMap<String, TensorView<'_>>,
    used: &mut std::collections::HashSet<String>,
) -> Result<Value, String> {
    match v {
        Value::Object(m) if m.len() == 1 && m.contains_key(TENSOR_KEY) => {
            let name = m[TENSOR_KEY].as_str().ok_or("tensor reference is not a string")?.to_string();
            let t = tensors.get(&name).ok_or_else(|| format!("state references missing tensor {name:?}"))?;
            if !used.insert(name.clone()) {
                return Err(format!("tensor {name:?} is referenced twice"));
            }
            if t.shape().len() != 1 {
                return Err(format!("tensor {name:?} is not one-dimensional"));
            }
            let chunks = t.data().chunks_exact(8);
            let items: Vec<Value> = match t.dtype() {
                Dtype::F64 => chunks
                    .map(|c| {
                        let x = f64::from_le_bytes(c.try_into().expect("8-byte chunk"));
                        match serde_f64::non_finite_str(x) {
                            None => Number::from_f64(x).map(Value::Number).expect("finite"),
                            Some(t) => Value::String(t.to_string()),
                        }
                    })
                    .collect(),
                Dtype::I64 => {
                    chunks.map(|c| Value::from(i64::from_le_bytes(c.try_into().expect("8-byte chunk")))).collect()
                }
                Dtype::U64 => {
                    chunks.map(|c| Value::from(u64::from_le_bytes(c.try_into().expect("8-byte chunk")))).collect()
                }
                d => return Err(format!("tensor {name:?} has unsupported dtype {d:?}")),
            };
            Ok(Value::Array(items))
        }
        Value::Array(items) => {
            Ok(Value::Array(items.into_iter().map(|x| restore(x, tensors, used)).collect::<Result<_, _>>()?))
        }
        Value::Object(m) => Ok(Value::Object(
            m.into_iter().map(|(k, x)| Ok((k, restore(x, tensors, used)?))).collect::<Result<_, String>>()?,
        )),
        other => Ok(other),
    }
}

/// Loads model-file bytes with a registry.
///
/// # Errors
/// Every [`ModelFileError`] but `Io`.
pub fn from_bytes(bytes: &[u8], registry: &Registry, path: &str) -> Result<Box<dyn DynFitted>, ModelFileError> {
    let (header, state) = read_bytes(bytes, path)?;
    if !registry.contains(&header.model_type) {
        return Err(ModelFileError::UnknownModelType { path: path.to_string(), model_type: header.model_type });
    }
    registry
        .load_state(&header.model_type, state)
        .map_err(|e| ModelFileError::InvalidState { path: path.to_string(), reason: e.to_string() })
}

fn read_file(path: &Path) -> Result<Vec<u8>, ModelFileError> {
    std::fs::read(path).map_err(|e| ModelFileError::Io { path: path.display().to_string(), message: e.to_string() })
}

/// Loads a model file with a registry.
///
/// # Errors
/// Every [`ModelFileError`].
pub fn load(path: impl AsRef<Path>, registry: &Registry) -> Result<Box<dyn DynFitted>, ModelFileError> {
    let path = path.as_ref();
    from_bytes(&read_file(path)?, registry, &path.display().to_string())
}

/// Loads a model file that must hold a [`Pipeline`].
///
/// # Errors
/// [`ModelFileError::WrongModelType`] for another model type, and as [`load`].
pub fn load_pipeline_file(path: impl AsRef<Path>, registry: &Registry) -> Result<FittedPipeline, ModelFileError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let bytes = read_file(path)?;
    let (header, _) = read_bytes(&bytes, &shown)?;
    if header.model_type != "Pipeline" {
        return Err(ModelFileError::WrongModelType {
            path: shown,
            expected: "Pipeline".into(),
            found: header.model_type,
        });
    }
    let model = from_bytes(&bytes, registry, &shown)?;
    model
        .as_any()
        .downcast_ref::<FittedPipeline>()
        .cloned()
        .ok_or_else(|| ModelFileError::InvalidState { path: shown, reason: "not a pipeline".into() })
}

/// Loads a typed fitted model (`FittedRidge`, `FittedLogisticRegression<Label>`) from a file;
/// needs no registry.
///
/// # Errors
/// [`ModelFileError::WrongModelType`] when the file holds another type, and as [`load`].
pub fn load_typed<F: Fitted>(path: impl AsRef<Path>) -> Result<F, ModelFileError> {
    let path = path.as_ref();
    let shown = path.display().to_string();
    let (header, state) = read_bytes(&read_file(path)?, &shown)?;
    if header.model_type != F::NAME {
        return Err(ModelFileError::WrongModelType { path: shown, expected: F::NAME.into(), found: header.model_type });
    }
    serde_f64::from_value(state).map_err(|e| ModelFileError::InvalidState { path: shown, reason: e.to_string() })
}

/// `.save(path)` on every fitted model: typed ones (`FittedRidge`), boxed ones and pipelines.
pub trait SaveModel {
    /// Writes the model file.
    ///
    /// # Errors
    /// As [`save`].
    fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelFileError>;
    /// The model-file bytes.
    ///
    /// # Errors
    /// As [`to_bytes`].
    fn to_model_bytes(&self) -> Result<Vec<u8>, ModelFileError>;
}

impl<F: Fitted> SaveModel for F {
    fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        write_file(path.as_ref(), &self.to_model_bytes()?)
    }
    fn to_model_bytes(&self) -> Result<Vec<u8>, ModelFileError> {
        let state = serde_f64::to_value(self)
            .map_err(|e| ModelFileError::Unsaveable { model_type: F::NAME.into(), reason: e.to_string() })?;
        state_to_bytes(F::NAME, state)
    }
}

impl SaveModel for FittedPipeline {
    fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        save(self, path)
    }
    fn to_model_bytes(&self) -> Result<Vec<u8>, ModelFileError> {
        to_bytes(self)
    }
}

impl SaveModel for dyn DynFitted {
    fn save(&self, path: impl AsRef<Path>) -> Result<(), ModelFileError> {
        save(self, path)
    }
    fn to_model_bytes(&self) -> Result<Vec<u8>, ModelFileError> {
        to_bytes(self)
    }
}
