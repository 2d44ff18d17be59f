//! The distinct stacks of a profile with their values (`sql/analysis/sample_stacks.sql`),
//! the input of the analyses that walk whole stacks.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef};

use crate::engine::{Engine, Param};
use crate::tools::columns;
use crate::tools::{SampleType, ToolError};

analysis_sql!(SAMPLE_STACKS_SQL, "sample_stacks");

/// One frame of a stack.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Frame {
    /// Shared with every other frame of the same function (stacks repeat names a lot).
    pub name: Arc<str>,
    /// Source file, empty when unknown.
    pub file: Arc<str>,
    pub line: i64,
}

impl Frame {
    /// `file:line`, or None without a file.
    pub fn location(&self) -> Option<String> {
        (!self.file.is_empty()).then(|| format!("{}:{}", self.file, self.line))
    }
}

/// Samples with the same stack (and state label), summed.
#[derive(Clone, Debug)]
pub struct Stack {
    /// Leaf first, inlined frames included.
    pub frames: Vec<Frame>,
    /// The location ids the frames come from, leaf first (a cheap, stable tie-break).
    pub locations: Vec<u64>,
    /// The goroutine state label, if the samples carry one.
    pub state: Option<String>,
    /// Sum of the first requested sample type.
    pub a: i64,
    /// Sum of the first type, counting a non-positive value as 1 (goroutine counts).
    pub a_min1: i64,
    /// Sum of the second requested sample type.
    pub b: i64,
    pub samples: i64,
}

impl Stack {
    /// The first `n` frame names, leaf first.
    pub fn names(&self, n: usize) -> Vec<String> {
        self.frames
            .iter()
            .take(n)
            .map(|f| f.name.to_string())
            .collect()
    }

    /// Frame names leaf first joined with " | " (what category regexes match).
    pub fn signature(&self, n: usize) -> String {
        self.names(n).join(" | ")
    }
}

fn bad(detail: impl Into<String>) -> ToolError {
    ToolError::Internal {
        query: SAMPLE_STACKS_SQL.name,
        detail: detail.into(),
    }
}

fn ints(a: &ArrayRef) -> Result<Vec<i64>, ToolError> {
    columns::int64s_or_zero(a).map_err(bad)
}

/// The distinct stacks of profile `id`, summing sample types `a` and `b`, heaviest (by
/// `a`) first, ties by location ids: the order is the same on every run. The query groups the
/// samples by stack id (equal location lists); each location is expanded into its frames
/// (inlined calls included) from the symbols the `frames` table is generated from.
pub async fn load(
    engine: &Engine,
    id: u32,
    a: &SampleType,
    b: &SampleType,
) -> Result<Vec<Stack>, ToolError> {
    let lp = engine.profile(id)?;
    let sql = SAMPLE_STACKS_SQL.render(&[
        ("id", Param::Int(id.into())),
        ("a", Param::Ident(a.column.clone())),
        ("b", Param::Ident(b.column.clone())),
    ])?;
    let r = engine.sql(&sql).await?;
    let sym = &lp.symbols;
    // Each location's frames built once, their strings shared.
    let mut names: Vec<Option<Arc<str>>> = vec![None; sym.names.len()];
    let mut files: Vec<Option<Arc<str>>> = vec![None; sym.files.len()];
    let empty: Arc<str> = Arc::from("");
    let mut by_location: Vec<Option<Vec<Frame>>> =
        vec![None; sym.loc_frame_offsets.len().saturating_sub(1)];
    let mut frames_of = |index: u32, into: &mut Vec<Frame>| {
        let Some(slot) = by_location.get_mut(index as usize) else {
            return;
        };
        let built = slot.get_or_insert_with(|| {
            sym.location_frames(index)
                .iter()
                .map(|f| Frame {
                    name: names[f.name as usize]
                        .get_or_insert_with(|| Arc::from(sym.names.value(f.name as usize)))
                        .clone(),
                    file: match f.file {
                        Some(i) => files[i as usize]
                            .get_or_insert_with(|| Arc::from(sym.files.value(i as usize)))
                            .clone(),
                        None => empty.clone(),
                    },
                    line: f.line,
                })
                .collect()
        });
        into.extend(built.iter().cloned());
    };
    let store = &lp.profile.samples;
    let mut out = Vec::new();
    for batch in &r.batches {
        let sample = columns::u64s(batch.column(0)).map_err(bad)?;
        let state = columns::texts(batch.column(1)).map_err(bad)?;
        let va = ints(batch.column(2))?;
        let va1 = ints(batch.column(3))?;
        let vb = ints(batch.column(4))?;
        let n = ints(batch.column(5))?;
        for row in 0..batch.num_rows() {
            let at = sample[row] as usize;
            if at >= store.len() {
                return Err(bad(format!("sample {at} out of range")));
            }
            let indexes = store.locations(at);
            let mut frames = Vec::new();
            for &index in indexes {
                frames_of(index, &mut frames);
            }
            let locations = indexes
                .iter()
                .filter_map(|&i| lp.profile.locations.get(i as usize).map(|l| l.id))
                .collect();
            out.push(Stack {
                frames,
                locations,
                state: state[row].clone(),
                a: va[row],
                a_min1: va1[row],
                b: vb[row],
                samples: n[row],
            });
        }
    }
    out.sort_by(|x, y| {
        y.a.cmp(&x.a)
            .then_with(|| y.b.cmp(&x.b))
            .then_with(|| x.locations.cmp(&y.locations))
            .then_with(|| x.state.cmp(&y.state))
    });
    Ok(out)
}
