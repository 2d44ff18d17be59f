//! A DataFusion table whose batches are generated at scan time from the loaded profiles,
//! so the large exploded tables never sit in memory whole.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::{Result, ScalarValue};
use datafusion::error::DataFusionError;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::{Expr, Operator, TableProviderFilterPushDown, TableType};
use datafusion::physical_expr::expressions::Column;
use datafusion::physical_expr::{LexOrdering, PhysicalSortExpr};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};
use datafusion::physical_plan::ExecutionPlan;

use super::generate::{generate, Chunk, Request};
use super::mask::sample_mask;
use super::schema::LazyKind;
use super::LoadedProfile;

/// Samples per generated batch; frames batches hold these samples' frames.
const SAMPLES_PER_BATCH: usize = 8192;
const SAMPLES_PER_FRAMES_BATCH: usize = 1024;

pub struct LazyTable {
    kind: LazyKind,
    schema: SchemaRef,
    profiles: Vec<Arc<LoadedProfile>>,
}

impl fmt::Debug for LazyTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LazyTable({})", self.kind.table_name())
    }
}

impl LazyTable {
    pub fn new(
        kind: LazyKind,
        value_columns: &[String],
        profiles: Vec<Arc<LoadedProfile>>,
    ) -> Self {
        Self {
            kind,
            schema: kind.schema(value_columns),
            profiles,
        }
    }
}

/// `profile_id = N` or `profile_id IN (...)`: the profile ids it allows.
fn profile_id_filter(expr: &Expr) -> Option<BTreeSet<u32>> {
    fn is_pid(e: &Expr) -> bool {
        matches!(e, Expr::Column(c) if c.name == "profile_id")
    }
    fn lit_u32(e: &Expr) -> Option<u32> {
        let v = match e {
            Expr::Literal(v, _) => v,
            Expr::Cast(c) => return lit_u32(&c.expr),
            Expr::TryCast(c) => return lit_u32(&c.expr),
            _ => return None,
        };
        let n: i128 = match v {
            ScalarValue::UInt32(Some(x)) => *x as i128,
            ScalarValue::UInt64(Some(x)) => *x as i128,
            ScalarValue::Int64(Some(x)) => *x as i128,
            ScalarValue::Int32(Some(x)) => *x as i128,
            ScalarValue::UInt16(Some(x)) => *x as i128,
            ScalarValue::Int16(Some(x)) => *x as i128,
            ScalarValue::UInt8(Some(x)) => *x as i128,
            ScalarValue::Int8(Some(x)) => *x as i128,
            _ => return None,
        };
        u32::try_from(n).ok()
    }
    match expr {
        Expr::BinaryExpr(b) if b.op == Operator::Eq => {
            let (l, r) = (b.left.as_ref(), b.right.as_ref());
            if is_pid(l) {
                lit_u32(r).map(|v| BTreeSet::from([v]))
            } else if is_pid(r) {
                lit_u32(l).map(|v| BTreeSet::from([v]))
            } else {
                None
            }
        }
        // DataFusion rewrites short IN lists into ORs of equalities.
        Expr::BinaryExpr(b) if b.op == Operator::Or => {
            let mut l = profile_id_filter(&b.left)?;
            l.extend(profile_id_filter(&b.right)?);
            Some(l)
        }
        Expr::InList(il) if !il.negated && is_pid(&il.expr) => il
            .list
            .iter()
            .map(lit_u32)
            .collect::<Option<BTreeSet<u32>>>(),
        _ => None,
    }
}

impl LazyTable {
    /// The order each partition's rows come in: profile, then sample, then (frames) depth,
    /// as far as those columns are projected. Declaring it lets DataFusion merge the
    /// partitions instead of sorting them (traces read millions of frames in this order).
    fn ordering(&self, projected: &SchemaRef, chunks: &[Chunk]) -> Option<LexOrdering> {
        let one_profile = chunks.windows(2).all(|w| w[0].profile == w[1].profile);
        let mut names = vec!["profile_id", "sample_id"];
        if self.kind == LazyKind::Frames {
            names.push("depth");
        }
        if one_profile && projected.index_of("profile_id").is_err() {
            names.remove(0);
        }
        let exprs = names.into_iter().map_while(|n| {
            let i = projected.index_of(n).ok()?;
            Some(PhysicalSortExpr::new_default(Arc::new(Column::new(n, i))))
        });
        LexOrdering::new(exprs)
    }

    /// The bits of `filter` when this table applies it while generating rows: a sample
    /// mask on the frames table (see [`sample_mask`]).
    fn pushed_mask(&self, filter: &Expr) -> Option<Arc<Vec<bool>>> {
        (self.kind == LazyKind::Frames)
            .then(|| sample_mask(filter))
            .flatten()
    }
}

#[async_trait]
impl TableProvider for LazyTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> Result<Vec<TableProviderFilterPushDown>> {
        // Exact: `scan` emits only the profiles these filters allow, so DataFusion need
        // not filter every generated row again (nor generate the profile_id column); the
        // frames of samples a mask drops are never generated (a filtered report would
        // otherwise copy every kept frame once more).
        Ok(filters
            .iter()
            .map(|f| {
                if self.pushed_mask(f).is_some() || profile_id_filter(f).is_some() {
                    TableProviderFilterPushDown::Exact
                } else {
                    TableProviderFilterPushDown::Unsupported
                }
            })
            .collect())
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let columns: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let projected = Arc::new(self.schema.project(&columns)?);
        let mut allowed: Option<BTreeSet<u32>> = None;
        let mut keep: Option<Arc<Vec<bool>>> = None;
        for f in filters {
            if let Some(ids) = profile_id_filter(f) {
                allowed = Some(match allowed {
                    Some(a) => a.intersection(&ids).copied().collect(),
                    None => ids,
                });
            } else if let Some(bits) = self.pushed_mask(f) {
                keep = Some(match keep {
                    Some(k) => Arc::new(k.iter().zip(bits.iter()).map(|(a, b)| *a && *b).collect()),
                    None => bits,
                });
            }
        }
        // A sample past the mask's end is dropped, as the mask function says.
        let kept = |start: usize, end: usize| {
            keep.as_ref().is_none_or(|k| {
                k.get(start..end.min(k.len()))
                    .is_some_and(|r| r.contains(&true))
            })
        };
        let per_batch = if self.kind == LazyKind::Frames {
            SAMPLES_PER_FRAMES_BATCH
        } else {
            SAMPLES_PER_BATCH
        };
        let mut chunks = Vec::new();
        // Chunks go in profile-id order so each partition's rows are sorted (see ordering).
        let mut by_id: Vec<(usize, &Arc<LoadedProfile>)> =
            self.profiles.iter().enumerate().collect();
        by_id.sort_by_key(|(_, lp)| lp.id);
        for (i, lp) in by_id {
            if allowed.as_ref().is_some_and(|a| !a.contains(&lp.id)) {
                continue;
            }
            let n = lp.profile.samples.len();
            let mut start = 0;
            while start < n {
                let end = (start + per_batch).min(n);
                if kept(start, end) {
                    chunks.push(Chunk {
                        profile: i,
                        start,
                        end,
                    });
                }
                start = end;
            }
        }
        // The session's setting, so a query can ask for one ordered partition.
        let parts = state.config().target_partitions().min(chunks.len()).max(1);
        let per_part = chunks.len().div_ceil(parts).max(1);
        let mut streams: Vec<Arc<dyn PartitionStream>> = Vec::with_capacity(parts);
        let mut groups: Vec<Vec<Chunk>> = chunks.chunks(per_part).map(<[Chunk]>::to_vec).collect();
        if groups.is_empty() {
            groups.push(Vec::new());
        }
        for group in groups {
            streams.push(Arc::new(ChunkStream {
                kind: self.kind,
                full_schema: self.schema.clone(),
                schema: projected.clone(),
                columns: columns.clone(),
                profiles: self.profiles.clone(),
                chunks: group,
                keep: keep.clone(),
            }));
        }
        let ordering = self.ordering(&projected, &chunks);
        let exec = StreamingTableExec::try_new(projected, streams, None, ordering, false, limit)?;
        Ok(Arc::new(exec))
    }
}

/// One partition of a scan: a list of chunks, each turned into one batch when polled.
struct ChunkStream {
    kind: LazyKind,
    full_schema: SchemaRef,
    schema: SchemaRef,
    columns: Vec<usize>,
    profiles: Vec<Arc<LoadedProfile>>,
    chunks: Vec<Chunk>,
    /// Samples to generate, by sample id (the pushed-down sample masks); None = all.
    keep: Option<Arc<Vec<bool>>>,
}

impl fmt::Debug for ChunkStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ChunkStream({}, {} chunks)",
            self.kind.table_name(),
            self.chunks.len()
        )
    }
}

impl PartitionStream for ChunkStream {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let kind = self.kind;
        let full_schema = self.full_schema.clone();
        let schema = self.schema.clone();
        let columns = self.columns.clone();
        let profiles = self.profiles.clone();
        let keep = self.keep.clone();
        let batches = self.chunks.clone().into_iter().map(move |chunk| {
            let req = Request {
                kind,
                schema: &schema,
                columns: &columns,
                full_schema: &full_schema,
                keep: keep.as_deref().map(Vec::as_slice),
            };
            generate(&req, &profiles[chunk.profile], chunk)
                .map_err(|e| DataFusionError::ArrowError(Box::new(e), None))
        });
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}
