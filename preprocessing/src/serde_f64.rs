//! Serde helpers that keep NaN and infinities through JSON (serde_json writes them as `null`):
//! non-finite values are written as the strings `"NaN"`, `"inf"`, `"-inf"`.

use ndarray::Array1;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An `f64` that serializes non-finite values as strings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct F(pub f64);

impl Serialize for F {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() {
            s.serialize_f64(v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if v > 0.0 {
            s.serialize_str("inf")
        } else {
            s.serialize_str("-inf")
        }
    }
}

impl<'de> Deserialize<'de> for F {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<F, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = F;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a number, \"NaN\", \"inf\" or \"-inf\"")
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<F, E> {
                Ok(F(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<F, E> {
                Ok(F(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<F, E> {
                Ok(F(v as f64))
            }
            fn visit_unit<E: de::Error>(self) -> Result<F, E> {
                Ok(F(f64::NAN))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<F, E> {
                match v {
                    "NaN" | "nan" => Ok(F(f64::NAN)),
                    "inf" => Ok(F(f64::INFINITY)),
                    "-inf" => Ok(F(f64::NEG_INFINITY)),
                    o => Err(E::custom(format!("not a number: {o:?}"))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

pub(crate) mod scalar {
    use super::*;
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        F(*v).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(F::deserialize(d)?.0)
    }
}

pub(crate) mod opt {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        v.map(F).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<F>::deserialize(d)?.map(|f| f.0))
    }
}

pub(crate) mod arr1 {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Array1<f64>, s: S) -> Result<S::Ok, S::Error> {
        v.iter().map(|&x| F(x)).collect::<Vec<_>>().serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array1<f64>, D::Error> {
        Ok(Vec::<F>::deserialize(d)?.into_iter().map(|f| f.0).collect())
    }
}

pub(crate) mod opt_arr1 {
    use super::*;
    pub fn serialize<S: Serializer>(v: &Option<Array1<f64>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(|a| a.iter().map(|&x| F(x)).collect::<Vec<_>>()).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Array1<f64>>, D::Error> {
        Ok(Option::<Vec<F>>::deserialize(d)?.map(|v| v.into_iter().map(|f| f.0).collect()))
    }
}

pub(crate) mod vec2 {
    use super::*;
    pub fn serialize<S: Serializer>(v: &[Vec<f64>], s: S) -> Result<S::Ok, S::Error> {
        v.iter().map(|r| r.iter().map(|&x| F(x)).collect::<Vec<_>>()).collect::<Vec<_>>().serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
        Ok(Vec::<Vec<F>>::deserialize(d)?.into_iter().map(|r| r.into_iter().map(|f| f.0).collect()).collect())
    }
}
