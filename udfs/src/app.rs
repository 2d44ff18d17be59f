//! Application-frame classification: `is_app_frame`.

use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{ArrayRef, BooleanBuilder};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::logical_expr::{ColumnarValue, Documentation};

use crate::common::{coerce_string, scalar_str, scalar_udf, utf8_arg, DOC_SECTION};

/// Splits a comma-separated prefix list, trimming entries and dropping
/// empty ones (so "a, b," means ["a", "b"], and "" matches nothing).
pub(crate) fn parse_prefixes(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).filter(|p| !p.is_empty())
}

scalar_udf! {
    /// `is_app_frame(name, prefixes) -> Boolean`: whether `name` starts with
    /// one of the comma-separated `prefixes`.
    pub struct IsAppFrame {}
    name: "is_app_frame",
    args: [coerce_string, coerce_string],
    returns: DataType::Boolean,
    doc: IS_APP_FRAME_DOC,
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

impl IsAppFrame {
    fn eval(&self, [names, prefixes]: &[ColumnarValue; 2], rows: usize) -> Result<ArrayRef> {
        let names = utf8_arg(names, rows)?;
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
            let prefixes = utf8_arg(prefixes, rows)?;
            for (name, list) in names.iter().zip(prefixes.iter()) {
                out.append_option(
                    name.zip(list)
                        .map(|(n, l)| parse_prefixes(l).any(|p| n.starts_with(p))),
                );
            }
        }
        Ok(Arc::new(out.finish()))
    }
}

#[cfg(test)]
mod tests;
