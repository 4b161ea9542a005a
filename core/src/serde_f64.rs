//! Keeping NaN and infinities through JSON: serde_json writes a non-finite `f64` as `null` (and
//! cannot read it back into an `f64`), so a fitted state holding NaN (an imputer's statistics, an
//! encoder's `encoded_missing_value`, a tree's missing-value threshold) would not survive a model
//! file. This module writes non-finite numbers as the strings `"NaN"`, `"inf"` and `"-inf"`.
//!
//! Two ways to use it:
//!
//! - **The whole state, any type**: [`to_value`] and [`from_value`] replace `serde_json::to_value`
//!   / `serde_json::from_value`. They wrap the serializer and the deserializer so that every `f64`
//!   and `f32` anywhere in the value (fields, `Vec`s, ndarray data, map values, enum payloads) is
//!   written and read this way, with no annotation on the type. The dynamic layer
//!   ([`DynFitted::state`](crate::DynFitted::state), [`DynEstimator::load_fitted`](crate::DynEstimator::load_fitted))
//!   uses them, so every estimator's state keeps its NaN and infinities. Reading also accepts
//!   `null` for an `f64` (as NaN), which is how older states stored NaN.
//! - **One field, plain serde**: `#[serde(with = "oxlearn_core::serde_f64::scalar")]` (or
//!   [`opt`], [`arr1`], [`opt_arr1`], [`vec2`]), or the wrapper type [`F`], for a type that must
//!   keep NaN under a plain `serde_json::to_value` too.
//!
//! ```
//! use oxlearn_core::serde_f64;
//!
//! #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
//! struct State {
//!     fill: f64,
//!     stats: Vec<f64>,
//!     bounds: Option<(f64, f64)>,
//! }
//! let s = State { fill: f64::NAN, stats: vec![1.5, f64::INFINITY], bounds: Some((f64::NEG_INFINITY, 0.0)) };
//! let v = serde_f64::to_value(&s)?;
//! assert_eq!(v["fill"], "NaN");
//! assert_eq!(v["stats"], serde_json::json!([1.5, "inf"]));
//! let back: State = serde_f64::from_value(v)?;
//! assert!(back.fill.is_nan());
//! assert_eq!(back.stats[1], f64::INFINITY);
//! assert_eq!(back.bounds, Some((f64::NEG_INFINITY, 0.0)));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The one thing the generic path cannot see is a type that reads itself with
//! `deserialize_any` (an `#[serde(untagged)]` enum with both a number and a string variant): a
//! non-finite number comes back there as the string. Such fields should use [`F`].

use std::fmt;

use ndarray::Array1;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};
use serde::ser::{self, Serialize};
use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;

/// The string written for NaN.
pub const NAN: &str = "NaN";
/// The string written for positive infinity.
pub const INF: &str = "inf";
/// The string written for negative infinity.
pub const NEG_INF: &str = "-inf";

/// The sentinel string of a non-finite number (`None` for a finite one).
pub fn non_finite_str(v: f64) -> Option<&'static str> {
    if v.is_finite() {
        None
    } else if v.is_nan() {
        Some(NAN)
    } else if v > 0.0 {
        Some(INF)
    } else {
        Some(NEG_INF)
    }
}

/// The number a sentinel string stands for (`"NaN"`, `"nan"`, `"inf"`, `"-inf"`).
pub fn parse_non_finite(s: &str) -> Option<f64> {
    match s {
        "NaN" | "nan" => Some(f64::NAN),
        "inf" | "Infinity" => Some(f64::INFINITY),
        "-inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Serializes `value` to a JSON value, writing non-finite `f64` / `f32` as strings.
///
/// # Errors
/// As `serde_json::to_value` (a map with non-string keys, a failing `Serialize` impl).
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Value> {
    value.serialize(NonFiniteSerializer(serde_json::value::Serializer))
}

/// Deserializes a JSON value written by [`to_value`] (or by `serde_json::to_value`), reading the
/// non-finite strings (and `null`) back into `f64` / `f32` fields.
///
/// # Errors
/// As `serde_json::from_value`.
pub fn from_value<T: DeserializeOwned>(value: Value) -> serde_json::Result<T> {
    T::deserialize(NonFiniteDeserializer(value))
}

/// An `f64` that serializes non-finite values as strings (for one field under plain serde).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct F(pub f64);

impl Serialize for F {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match non_finite_str(self.0) {
            None => s.serialize_f64(self.0),
            Some(t) => s.serialize_str(t),
        }
    }
}

struct FloatVisitor;

impl Visitor<'_> for FloatVisitor {
    type Value = f64;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a number, \"NaN\", \"inf\" or \"-inf\"")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<f64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<f64, E> {
        Ok(v as f64)
    }
    fn visit_unit<E: de::Error>(self) -> Result<f64, E> {
        Ok(f64::NAN)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<f64, E> {
        parse_non_finite(v).ok_or_else(|| E::custom(format!("not a number: {v:?}")))
    }
}

impl<'de> Deserialize<'de> for F {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<F, D::Error> {
        d.deserialize_any(FloatVisitor).map(F)
    }
}

/// `#[serde(with = "oxlearn_core::serde_f64::scalar")]` for an `f64` field.
pub mod scalar {
    use super::*;
    /// Serializes.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        F(*v).serialize(s)
    }
    /// Deserializes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(F::deserialize(d)?.0)
    }
}

/// `#[serde(with = "oxlearn_core::serde_f64::opt")]` for an `Option<f64>` field.
pub mod opt {
    use super::*;
    /// Serializes.
    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        v.map(F).serialize(s)
    }
    /// Deserializes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        Ok(Option::<F>::deserialize(d)?.map(|f| f.0))
    }
}

/// `#[serde(with = "oxlearn_core::serde_f64::arr1")]` for an `Array1<f64>` field (a plain list).
pub mod arr1 {
    use super::*;
    /// Serializes.
    pub fn serialize<S: Serializer>(v: &Array1<f64>, s: S) -> Result<S::Ok, S::Error> {
        v.iter().map(|&x| F(x)).collect::<Vec<_>>().serialize(s)
    }
    /// Deserializes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Array1<f64>, D::Error> {
        Ok(Vec::<F>::deserialize(d)?.into_iter().map(|f| f.0).collect())
    }
}

/// `#[serde(with = "oxlearn_core::serde_f64::opt_arr1")]` for an `Option<Array1<f64>>` field.
pub mod opt_arr1 {
    use super::*;
    /// Serializes.
    pub fn serialize<S: Serializer>(v: &Option<Array1<f64>>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(|a| a.iter().map(|&x| F(x)).collect::<Vec<_>>()).serialize(s)
    }
    /// Deserializes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Array1<f64>>, D::Error> {
        Ok(Option::<Vec<F>>::deserialize(d)?.map(|v| v.into_iter().map(|f| f.0).collect()))
    }
}

/// `#[serde(with = "oxlearn_core::serde_f64::vec2")]` for a `Vec<Vec<f64>>` field.
pub mod vec2 {
    use super::*;
    /// Serializes.
    pub fn serialize<S: Serializer>(v: &[Vec<f64>], s: S) -> Result<S::Ok, S::Error> {
        v.iter().map(|r| r.iter().map(|&x| F(x)).collect::<Vec<_>>()).collect::<Vec<_>>().serialize(s)
    }
    /// Deserializes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
        Ok(Vec::<Vec<F>>::deserialize(d)?.into_iter().map(|r| r.into_iter().map(|f| f.0).collect()).collect())
    }
}

// ---------------------------------------------------------------------------------------------
// The serializer adapter: forwards everything, writing non-finite floats as strings and wrapping
// every nested value so the rule applies at any depth.

struct NonFiniteSerializer<S>(S);

/// A value serialized through [`NonFiniteSerializer`].
struct Wrap<'a, T: ?Sized>(&'a T);

impl<T: Serialize + ?Sized> Serialize for Wrap<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(NonFiniteSerializer(s))
    }
}

/// A compound serializer whose elements are wrapped.
struct Compound<C>(C);

macro_rules! forward_ser {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.0.$method($($arg),*)
        })*
    };
}

impl<S: Serializer> Serializer for NonFiniteSerializer<S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<S::SerializeSeq>;
    type SerializeTuple = Compound<S::SerializeTuple>;
    type SerializeTupleStruct = Compound<S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<S::SerializeTupleVariant>;
    type SerializeMap = Compound<S::SerializeMap>;
    type SerializeStruct = Compound<S::SerializeStruct>;
    type SerializeStructVariant = Compound<S::SerializeStructVariant>;

    forward_ser! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_f32(self, v: f32) -> Result<S::Ok, S::Error> {
        match non_finite_str(f64::from(v)) {
            None => self.0.serialize_f32(v),
            Some(t) => self.0.serialize_str(t),
        }
    }
    fn serialize_f64(self, v: f64) -> Result<S::Ok, S::Error> {
        match non_finite_str(v) {
            None => self.0.serialize_f64(v),
            Some(t) => self.0.serialize_str(t),
        }
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_some(&Wrap(value))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, name: &'static str, value: &T) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_struct(name, &Wrap(value))
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.0.serialize_newtype_variant(name, index, variant, &Wrap(value))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.0.serialize_seq(len).map(Compound)
    }
    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.0.serialize_tuple(len).map(Compound)
    }
    fn serialize_tuple_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.0.serialize_tuple_struct(name, len).map(Compound)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        self.0.serialize_tuple_variant(name, index, variant, len).map(Compound)
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        self.0.serialize_map(len).map(Compound)
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Self::SerializeStruct, S::Error> {
        self.0.serialize_struct(name, len).map(Compound)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        self.0.serialize_struct_variant(name, index, variant, len).map(Compound)
    }
    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

macro_rules! compound_elements {
    ($($trait:ident :: $method:ident),*) => {
        $(impl<C: ser::$trait> ser::$trait for Compound<C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
                self.0.$method(&Wrap(value))
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.0.end()
            }
        })*
    };
}
compound_elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

macro_rules! compound_fields {
    ($($trait:ident),*) => {
        $(impl<C: ser::$trait> ser::$trait for Compound<C> {
            type Ok = C::Ok;
            type Error = C::Error;
            fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), C::Error> {
                self.0.serialize_field(key, &Wrap(value))
            }
            fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
                self.0.skip_field(key)
            }
            fn end(self) -> Result<C::Ok, C::Error> {
                self.0.end()
            }
        })*
    };
}
compound_fields!(SerializeStruct, SerializeStructVariant);

impl<C: ser::SerializeMap> ser::SerializeMap for Compound<C> {
    type Ok = C::Ok;
    type Error = C::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        // Keys stay as they are: JSON keys are strings already.
        self.0.serialize_key(key)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.0.serialize_value(&Wrap(value))
    }
    fn end(self) -> Result<C::Ok, C::Error> {
        self.0.end()
    }
}

// ---------------------------------------------------------------------------------------------
// The deserializer adapter over a JSON value: `f64` / `f32` requests accept the sentinel strings
// (and null); every other request is forwarded with a visitor that wraps nested deserializers.

struct NonFiniteDeserializer<D>(D);

/// Wraps a seed so the value it reads goes through [`NonFiniteDeserializer`].
struct Seed<S>(S);

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Seed<S> {
    type Value = S::Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.0.deserialize(NonFiniteDeserializer(d))
    }
}

/// Wraps a visitor so the sequences, maps, enums and options it visits are wrapped too.
struct WrapVisitor<V>(V);

macro_rules! forward_visit {
    ($($method:ident($ty:ty);)*) => {
        $(fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.0.$method(v)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for WrapVisitor<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }
    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(NonFiniteDeserializer(d))
    }
    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(NonFiniteDeserializer(d))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(Access(seq))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(Access(map))
    }
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(Access(data))
    }
}

/// Wraps sequence, map, enum and variant access.
struct Access<A>(A);

impl<'de, A: de::SeqAccess<'de>> de::SeqAccess<'de> for Access<A> {
    type Error = A::Error;
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, A::Error> {
        self.0.next_element_seed(Seed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::MapAccess<'de>> de::MapAccess<'de> for Access<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        self.0.next_key_seed(seed)
    }
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, A::Error> {
        self.0.next_value_seed(Seed(seed))
    }
    fn size_hint(&self) -> Option<usize> {
        self.0.size_hint()
    }
}

impl<'de, A: de::EnumAccess<'de>> de::EnumAccess<'de> for Access<A> {
    type Error = A::Error;
    type Variant = Access<A::Variant>;
    fn variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<(T::Value, Self::Variant), A::Error> {
        let (v, variant) = self.0.variant_seed(seed)?;
        Ok((v, Access(variant)))
    }
}

impl<'de, A: de::VariantAccess<'de>> de::VariantAccess<'de> for Access<A> {
    type Error = A::Error;
    fn unit_variant(self) -> Result<(), A::Error> {
        self.0.unit_variant()
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, A::Error> {
        self.0.newtype_variant_seed(Seed(seed))
    }
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.0.tuple_variant(len, WrapVisitor(visitor))
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.0.struct_variant(fields, WrapVisitor(visitor))
    }
}

/// Reads a float through `deserialize_any`, accepting the sentinel strings and null.
struct NonFiniteFloat<V>(V);

impl<'de, V: Visitor<'de>> Visitor<'de> for NonFiniteFloat<V> {
    type Value = V::Value;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<V::Value, E> {
        self.0.visit_f64(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<V::Value, E> {
        self.0.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<V::Value, E> {
        self.0.visit_u64(v)
    }
    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_f64(f64::NAN)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<V::Value, E> {
        match parse_non_finite(v) {
            Some(x) => self.0.visit_f64(x),
            None => self.0.visit_str(v),
        }
    }
}

macro_rules! forward_de {
    ($($method:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $method<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            self.0.$method($($arg,)* WrapVisitor(visitor))
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for NonFiniteDeserializer<D> {
    type Error = D::Error;

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(NonFiniteFloat(visitor))
    }
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(NonFiniteFloat(visitor))
    }

    forward_de! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
        deserialize_ignored_any();
    }

    fn is_human_readable(&self) -> bool {
        self.0.is_human_readable()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use ndarray::{Array2, array};
    use serde::{Deserialize, Serialize};

    use super::*;

    #[derive(Debug, Clone, Serialize, Deserialize)]
    enum Kind {
        Unit,
        Value(f64),
        Pair(f32, f64),
        Named { low: f64, high: Option<f64> },
    }

    #[derive(Debug, Clone, Serialize, Deserialize)]
    struct State {
        scalar: f64,
        single: f32,
        list: Vec<f64>,
        matrix: Array2<f64>,
        kinds: Vec<Kind>,
        by_name: BTreeMap<String, f64>,
        nested: Option<Box<State>>,
        name: String,
        count: u64,
    }

    fn bits(v: &[f64]) -> Vec<u64> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn every_float_keeps_nan_and_infinities() {
        let inner = State {
            scalar: f64::NEG_INFINITY,
            single: f32::NAN,
            list: vec![],
            matrix: Array2::zeros((0, 2)),
            kinds: vec![Kind::Unit],
            by_name: BTreeMap::new(),
            nested: None,
            name: "NaN".into(),
            count: 3,
        };
        let s = State {
            scalar: f64::NAN,
            single: f32::INFINITY,
            list: vec![1.0, f64::NAN, -0.0, f64::INFINITY, 1e-300],
            matrix: array![[1.0, f64::NAN], [f64::NEG_INFINITY, 2.5]],
            kinds: vec![
                Kind::Value(f64::NAN),
                Kind::Pair(f32::NEG_INFINITY, f64::INFINITY),
                Kind::Named { low: f64::NAN, high: Some(f64::INFINITY) },
            ],
            by_name: [("a".to_string(), f64::NAN), ("b".to_string(), 0.5)].into_iter().collect(),
            nested: Some(Box::new(inner)),
            name: "inf".into(),
            count: 7,
        };
        let v = to_value(&s).unwrap();
        assert_eq!(v["scalar"], "NaN");
        assert_eq!(v["list"][3], "inf");
        // A plain serde_json reader sees strings, never a silent null.
        assert_eq!(v["matrix"]["data"], serde_json::json!([1.0, "NaN", "-inf", 2.5]));
        let back: State = from_value(v).unwrap();
        assert!(back.scalar.is_nan());
        assert_eq!(back.single, f32::INFINITY);
        assert_eq!(bits(&back.list[..]), bits(&[1.0, f64::NAN, -0.0, f64::INFINITY, 1e-300]));
        assert_eq!(bits(back.matrix.as_slice().unwrap()), bits(s.matrix.as_slice().unwrap()));
        assert!(matches!(back.kinds[0], Kind::Value(x) if x.is_nan()));
        assert!(matches!(back.kinds[1], Kind::Pair(a, b) if a == f32::NEG_INFINITY && b == f64::INFINITY));
        assert!(matches!(back.kinds[2], Kind::Named { low, high: Some(h) } if low.is_nan() && h == f64::INFINITY));
        assert!(back.by_name["a"].is_nan());
        let inner = back.nested.unwrap();
        assert_eq!(inner.scalar, f64::NEG_INFINITY);
        assert!(inner.single.is_nan());
        // Strings are never taken for numbers.
        assert_eq!(inner.name, "NaN");
        assert_eq!(back.name, "inf");
        assert_eq!(back.count, 7);
    }

    #[test]
    fn null_reads_as_nan_and_bad_strings_are_errors() {
        #[derive(Debug, Deserialize)]
        struct S {
            x: f64,
            y: Option<f64>,
        }
        let s: S = from_value(serde_json::json!({"x": null, "y": null})).unwrap();
        assert!(s.x.is_nan());
        assert_eq!(s.y, None);
        let e = from_value::<S>(serde_json::json!({"x": "fast", "y": 1.0})).unwrap_err();
        assert!(e.to_string().contains("fast"), "{e}");
    }

    #[test]
    fn field_helpers_work_under_plain_serde() {
        #[derive(Debug, Serialize, Deserialize)]
        struct S {
            #[serde(with = "super::scalar")]
            a: f64,
            #[serde(with = "super::opt")]
            b: Option<f64>,
            #[serde(with = "super::arr1")]
            c: Array1<f64>,
            #[serde(with = "super::vec2")]
            d: Vec<Vec<f64>>,
        }
        let s = S { a: f64::NAN, b: Some(f64::NEG_INFINITY), c: array![f64::INFINITY, 1.0], d: vec![vec![f64::NAN]] };
        let v = serde_json::to_value(&s).unwrap();
        assert_eq!(v, serde_json::json!({"a": "NaN", "b": "-inf", "c": ["inf", 1.0], "d": [["NaN"]]}));
        let back: S = serde_json::from_value(v.clone()).unwrap();
        assert!(back.a.is_nan() && back.d[0][0].is_nan());
        // The generic path reads them too.
        let again: S = from_value(v).unwrap();
        assert_eq!(again.c[0], f64::INFINITY);
        assert_eq!(again.b, Some(f64::NEG_INFINITY));
    }
}
