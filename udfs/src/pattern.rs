//! Regex arguments: compilation, error reporting and caching.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

use datafusion::arrow::array::{Array, StringArray};
use datafusion::common::{exec_datafusion_err, Result};
use datafusion::logical_expr::ColumnarValue;
use regex::Regex;

use crate::common::{scalar_str, utf8_arg};

/// Compiles `pattern` (RE2 syntax, unanchored), naming `func` on failure.
pub(crate) fn compile(func: &str, pattern: &str) -> Result<Regex> {
    Regex::new(pattern).map_err(|e| exec_datafusion_err!("{func}: invalid regex '{pattern}': {e}"))
}

/// Remembers the last scalar pattern a UDF instance compiled.
///
/// A query calls the function once per batch with the same literal pattern,
/// so keeping one compiled regex across batches avoids recompiling it for
/// every batch. It never changes results, so it takes no part in equality.
#[derive(Debug, Default)]
pub(crate) struct RegexCache(Mutex<Option<Regex>>);

impl RegexCache {
    pub(crate) fn get(&self, func: &str, pattern: &str) -> Result<Regex> {
        // A poisoned lock only means another thread panicked mid-update;
        // compiling afresh is always correct.
        let Ok(mut slot) = self.0.lock() else {
            return compile(func, pattern);
        };
        if let Some(re) = slot.as_ref().filter(|re| re.as_str() == pattern) {
            // Regex clones share the compiled program.
            return Ok(re.clone());
        }
        let re = compile(func, pattern)?;
        *slot = Some(re.clone());
        Ok(re)
    }
}

impl PartialEq for RegexCache {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl Eq for RegexCache {}

impl Hash for RegexCache {
    fn hash<H: Hasher>(&self, _state: &mut H) {}
}

/// The pattern argument of one invocation.
pub(crate) enum PatternArg {
    /// A literal pattern: compiled once; `None` is a NULL pattern.
    Scalar(Option<Regex>),
    /// One pattern per row.
    Column(StringArray),
}

impl PatternArg {
    pub(crate) fn new(
        func: &str,
        value: &ColumnarValue,
        rows: usize,
        cache: &RegexCache,
    ) -> Result<Self> {
        match scalar_str(value) {
            Some(Some(p)) => Ok(Self::Scalar(Some(cache.get(func, p)?))),
            Some(None) => Ok(Self::Scalar(None)),
            // A pattern column, or a scalar that still needs a cast.
            None => Ok(Self::Column(utf8_arg(value, rows)?)),
        }
    }

    /// Per-row access; patterns repeated across rows are compiled once.
    pub(crate) fn rows<'a>(&'a self, func: &'a str) -> PatternRows<'a> {
        match self {
            Self::Scalar(re) => PatternRows::Scalar(re.as_ref()),
            Self::Column(patterns) => PatternRows::Column {
                func,
                patterns,
                compiled: HashMap::new(),
            },
        }
    }
}

pub(crate) enum PatternRows<'a> {
    Scalar(Option<&'a Regex>),
    Column {
        func: &'a str,
        patterns: &'a StringArray,
        compiled: HashMap<&'a str, Regex>,
    },
}

impl<'a> PatternRows<'a> {
    /// The regex for `row`, `None` when that row's pattern is NULL.
    pub(crate) fn get(&mut self, row: usize) -> Result<Option<&Regex>> {
        match self {
            Self::Scalar(re) => Ok(*re),
            Self::Column {
                func,
                patterns,
                compiled,
            } => {
                if patterns.is_null(row) {
                    return Ok(None);
                }
                let pattern = patterns.value(row);
                let re = match compiled.entry(pattern) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(compile(func, pattern)?)
                    }
                };
                Ok(Some(re))
            }
        }
    }
}
