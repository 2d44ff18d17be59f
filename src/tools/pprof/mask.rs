//! Request-scoped SQL functions `name(index) -> Boolean` backed by a bit per index: the
//! per-sample and per-frame-symbol filter decisions a tool computes from the profile's
//! symbols and labels, used by its canned SQL.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray, UInt32Array};
use datafusion::arrow::datatypes::{DataType, UInt32Type, UInt64Type};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

#[derive(Debug)]
struct Mask {
    name: String,
    bits: Arc<Vec<bool>>,
    signature: Signature,
}

impl PartialEq for Mask {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.bits, &other.bits)
    }
}
impl Eq for Mask {}
impl std::hash::Hash for Mask {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

/// A function `name(i)` that is true when `bits[i]` is (false when out of range or NULL).
pub fn mask_udf(name: &str, bits: Vec<bool>) -> ScalarUDF {
    ScalarUDF::new_from_impl(Mask {
        name: name.to_string(),
        bits: Arc::new(bits),
        signature: Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::UInt32]),
                TypeSignature::Exact(vec![DataType::UInt64]),
            ],
            Volatility::Immutable,
        ),
    })
}

impl ScalarUDFImpl for Mask {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let bit = |i: Option<u64>| {
            i.and_then(|i| usize::try_from(i).ok())
                .and_then(|i| self.bits.get(i).copied())
                .unwrap_or(false)
        };
        match args.args.first() {
            Some(ColumnarValue::Array(a)) => {
                let out: BooleanArray = match a.data_type() {
                    DataType::UInt32 => a
                        .as_primitive::<UInt32Type>()
                        .iter()
                        .map(|v| Some(bit(v.map(u64::from))))
                        .collect(),
                    DataType::UInt64 => a
                        .as_primitive::<UInt64Type>()
                        .iter()
                        .map(|v| Some(bit(v)))
                        .collect(),
                    other => return exec_err!("{}: unexpected argument type {other}", self.name),
                };
                Ok(ColumnarValue::Array(Arc::new(out)))
            }
            Some(ColumnarValue::Scalar(s)) => {
                let i = match s {
                    ScalarValue::UInt32(v) => v.map(u64::from),
                    ScalarValue::UInt64(v) => *v,
                    _ => None,
                };
                Ok(ColumnarValue::Scalar(ScalarValue::Boolean(Some(bit(i)))))
            }
            None => exec_err!("{} takes one argument", self.name),
        }
    }
}

/// A function `name(i) -> UInt32` reading `values[i]` (NULL when out of range): a
/// request-scoped lookup such as frame symbol -> pprof node.
pub fn lookup_udf(name: &str, values: Arc<Vec<u32>>) -> ScalarUDF {
    ScalarUDF::new_from_impl(Lookup {
        name: name.to_string(),
        values,
        signature: Signature::exact(vec![DataType::UInt32], Volatility::Immutable),
    })
}

#[derive(Debug)]
struct Lookup {
    name: String,
    values: Arc<Vec<u32>>,
    signature: Signature,
}

impl PartialEq for Lookup {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.values, &other.values)
    }
}
impl Eq for Lookup {}
impl std::hash::Hash for Lookup {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Lookup {
    fn name(&self) -> &str {
        &self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt32)
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let get = |i: Option<u32>| i.and_then(|i| self.values.get(i as usize).copied());
        match args.args.first() {
            Some(ColumnarValue::Array(a)) => {
                let Some(a) = a.as_primitive_opt::<UInt32Type>() else {
                    return exec_err!("{}: expected UInt32", self.name);
                };
                let out: UInt32Array = a.iter().map(get).collect();
                Ok(ColumnarValue::Array(Arc::new(out)))
            }
            Some(ColumnarValue::Scalar(ScalarValue::UInt32(v))) => {
                Ok(ColumnarValue::Scalar(ScalarValue::UInt32(get(*v))))
            }
            _ => exec_err!("{} takes one UInt32 argument", self.name),
        }
    }
}
