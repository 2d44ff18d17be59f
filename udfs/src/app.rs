//! Application-frame classification: `is_app_frame`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, BooleanBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::cast::as_string_array;
use datafusion::common::{exec_err, Result};
use datafusion::logical_expr::{
    ColumnarValue, Documentation, ScalarFunctionArgs, ScalarUDFImpl, Signature, Volatility,
};

use crate::common::{
    arg_array, check_arity, coerce_string, finish, output_rows, scalar_str, DOC_SECTION,
};

/// Splits a comma-separated prefix list, trimming entries and dropping
/// empty ones (so "a, b," means ["a", "b"], and "" matches nothing).
pub(crate) fn parse_prefixes(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|p| !p.is_empty())
}

/// `is_app_frame(name, prefixes) -> Boolean`: whether `name` starts with
/// one of the comma-separated `prefixes`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct IsAppFrame {
    signature: Signature,
}

impl IsAppFrame {
    pub fn new() -> Self {
        Self {
            signature: Signature::user_defined(Volatility::Immutable),
        }
    }
}

impl Default for IsAppFrame {
    fn default() -> Self {
        Self::new()
    }
}

static IS_APP_FRAME_DOC: LazyLock<Documentation> = LazyLock::new(|| {
    Documentation::builder(
        DOC_SECTION,
        "Returns true if the frame name starts with any of the comma-separated prefixes. \
         Whitespace around each prefix is ignored, and so are empty entries.",
        "is_app_frame(name, prefixes)",
    )
    .with_sql_example(
        "```sql\n> SELECT is_app_frame('github.com/acme/api.Serve', 'github.com/acme/, main.');\n-- true\n```",
    )
    .with_argument("name", "Frame (function) name.")
    .with_argument("prefixes", "Comma-separated list of name prefixes.")
    .build()
});

impl ScalarUDFImpl for IsAppFrame {
    fn name(&self) -> &str {
        "is_app_frame"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2)?;
        Ok(vec![
            coerce_string(self.name(), &arg_types[0])?,
            coerce_string(self.name(), &arg_types[1])?,
        ])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }

    fn is_strict(&self) -> bool {
        true
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let (rows, all_scalar) = output_rows(&args);
        let [names, prefixes] = args.args.as_slice() else {
            return exec_err!("is_app_frame expects 2 arguments");
        };
        let names = arg_array(names, rows, &DataType::Utf8)?;
        let names = as_string_array(names.as_ref())?;
        let mut out = BooleanBuilder::with_capacity(rows);

        // The usual call passes one literal list: split it once, not per row.
        if let Some(list) = scalar_str(prefixes) {
            match list {
                None => out.append_nulls(rows),
                Some(list) => {
                    let list: Vec<&str> = parse_prefixes(list).collect();
                    for name in names.iter() {
                        out.append_option(name.map(|n| list.iter().any(|p| n.starts_with(p))));
                    }
                }
            }
        } else {
            let prefixes = arg_array(prefixes, rows, &DataType::Utf8)?;
            let prefixes = as_string_array(prefixes.as_ref())?;
            for (name, list) in names.iter().zip(prefixes.iter()) {
                out.append_option(
                    name.zip(list)
                        .map(|(n, l)| parse_prefixes(l).any(|p| n.starts_with(p))),
                );
            }
        }
        finish(Arc::new(out.finish()) as ArrayRef, all_scalar)
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(&IS_APP_FRAME_DOC)
    }
}

#[cfg(test)]
mod tests;
