//! Request-scoped SQL functions `name(index) -> Boolean` backed by a bit per index: the
//! per-sample and per-frame-symbol filter decisions a tool computes from the profile's
//! symbols and labels, used by its canned SQL. A mask over `sample_id` in a scan's WHERE
//! is applied by the lazy tables themselves (see `sample_mask`).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, BooleanArray, UInt32Array};
use datafusion::arrow::datatypes::{DataType, UInt32Type, UInt64Type};
use datafusion::common::{exec_err, Result, ScalarValue};
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, TypeSignature,
    Volatility,
};

/// A request-scoped function over a table indexed by its argument. Two are equal when they
/// share name and table (DataFusion compares functions when it plans).
#[derive(Debug)]
struct ByIndex<T> {
    name: String,
    table: Arc<Vec<T>>,
    signature: Signature,
}

impl<T> PartialEq for ByIndex<T> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.table, &other.table)
    }
}
impl<T> Eq for ByIndex<T> {}
impl<T> std::hash::Hash for ByIndex<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

/// A function `name(i)` that is true when `bits[i]` is (false when out of range or NULL).
pub fn mask_udf(name: &str, bits: Vec<bool>) -> ScalarUDF {
    ScalarUDF::new_from_impl(ByIndex {
        name: name.to_string(),
        table: Arc::new(bits),
        signature: Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::UInt32]),
                TypeSignature::Exact(vec![DataType::UInt64]),
            ],
            Volatility::Immutable,
        ),
    })
}

/// The bits of `expr` when it is a mask function applied to the `sample_id` column itself:
/// a filter that keeps whole samples, which a scan can apply while generating rows.
pub fn sample_mask(expr: &Expr) -> Option<Arc<Vec<bool>>> {
    let Expr::ScalarFunction(f) = expr else {
        return None;
    };
    match f.args.as_slice() {
        [Expr::Column(c)] if c.name == "sample_id" => {}
        _ => return None,
    }
    let mask = f.func.inner().downcast_ref::<ByIndex<bool>>()?;
    Some(mask.table.clone())
}

impl ScalarUDFImpl for ByIndex<bool> {
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
                .and_then(|i| self.table.get(i).copied())
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
    ScalarUDF::new_from_impl(ByIndex {
        name: name.to_string(),
        table: values,
        signature: Signature::exact(vec![DataType::UInt32], Volatility::Immutable),
    })
}

impl ScalarUDFImpl for ByIndex<u32> {
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
        let get = |i: Option<u32>| i.and_then(|i| self.table.get(i as usize).copied());
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
