//! Queries whose ORDER BY is the lazy tables' own row order, run on every partition.
//!
//! DataFusion either merges the sorted partitions row by row (`SortPreservingMergeExec`)
//! or, on one partition, generates every row on one thread. The lazy tables give each
//! partition a consecutive run of (profile, sample) in order (`LazyTable::scan`), so when
//! nothing between the scan and the merge reorders rows or partitions, the partitions
//! joined end to end are the merged result: each is collected on a task of its own and
//! the results are concatenated in partition order.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::common::runtime::SpawnedTask;
use datafusion::datasource::memory::MemorySourceConfig;
use datafusion::error::DataFusionError;
use datafusion::execution::TaskContext;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::sorts::sort_preserving_merge::SortPreservingMergeExec;
use datafusion::physical_plan::streaming::StreamingTableExec;
use datafusion::physical_plan::{
    collect, common, ChildrenPropertiesMode, ExecutionPlan, ExecutionPlanProperties,
    ReplaceChildrenOptions,
};

/// `plan`'s result when it has the shape above (projections over a merge over an
/// order-keeping chain down to a lazy-table scan); None when it has not, for the caller
/// to run it another way.
pub(super) async fn collect_concatenated(
    plan: &Arc<dyn ExecutionPlan>,
    task: &Arc<TaskContext>,
) -> Result<Option<Vec<RecordBatch>>, DataFusionError> {
    // Above the merge, projections only: they neither reorder rows nor need partitions.
    let mut above = Vec::new();
    let mut node = Arc::clone(plan);
    while !node.is::<SortPreservingMergeExec>() {
        let Some(child) = only_child(&node).filter(|_| node.is::<ProjectionExec>()) else {
            return Ok(None);
        };
        above.push(node);
        node = child;
    }
    let Some(input) = only_child(&node).filter(|_| node.fetch().is_none()) else {
        return Ok(None);
    };
    if !keeps_order_down_to_lazy_scan(&input) {
        return Ok(None);
    }
    let tasks: Vec<_> = (0..input.output_partitioning().partition_count())
        .map(|i| {
            let (input, task) = (Arc::clone(&input), Arc::clone(task));
            SpawnedTask::spawn(async move { common::collect(input.execute(i, task)?).await })
        })
        .collect();
    let mut batches = Vec::new();
    for t in tasks {
        let part = t
            .join()
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))??;
        batches.extend(part);
    }
    if above.is_empty() {
        return Ok(Some(batches));
    }
    // The projections, again, over the joined partitions.
    let mut rebuilt: Arc<dyn ExecutionPlan> =
        MemorySourceConfig::try_new_exec(&[batches], input.schema(), None)?;
    for node in above.into_iter().rev() {
        rebuilt = node.replace_children(
            vec![rebuilt],
            ReplaceChildrenOptions::new(ChildrenPropertiesMode::Recompute),
        )?;
    }
    Ok(Some(collect(rebuilt, Arc::clone(task)).await?))
}

fn only_child(node: &Arc<dyn ExecutionPlan>) -> Option<Arc<dyn ExecutionPlan>> {
    match node.children()[..] {
        [child] => Some(Arc::clone(child)),
        _ => None,
    }
}

/// Whether `plan` is projections and filters down to a lazy-table scan (the only
/// streaming table the engine registers). Those work row by row within a partition; a
/// node that also "keeps order" may still move rows between partitions (a hash
/// repartition that preserves order), so anything else is refused.
fn keeps_order_down_to_lazy_scan(plan: &Arc<dyn ExecutionPlan>) -> bool {
    let parts = plan.output_partitioning().partition_count();
    let mut node = Arc::clone(plan);
    loop {
        if node.is::<StreamingTableExec>() {
            return node.output_partitioning().partition_count() == parts;
        }
        let row_by_row = node.is::<ProjectionExec>() || node.is::<FilterExec>();
        let Some(child) = only_child(&node).filter(|_| row_by_row) else {
            return false;
        };
        if node.maintains_input_order() != [true]
            || node.output_partitioning().partition_count() != parts
        {
            return false;
        }
        node = child;
    }
}

#[cfg(test)]
mod tests {
    use datafusion::arrow::compute::concat_batches;
    use datafusion::prelude::SessionContext;

    use super::*;
    use crate::decode::DecodeOptions;
    use crate::engine::Engine;

    fn engine() -> Engine {
        let mut engine = Engine::new(DecodeOptions::default());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/synthetic.cpu.pb.gz");
        engine.load_file(&path).unwrap();
        engine
    }

    fn session(engine: &Engine, partitions: usize) -> SessionContext {
        let mut state = engine.ctx.state();
        state.config_mut().options_mut().execution.target_partitions = partitions;
        SessionContext::new_with_state(state)
    }

    async fn concatenated(engine: &Engine, sql: &str) -> Option<RecordBatch> {
        let df = session(engine, 3).sql(sql).await.unwrap();
        let task = Arc::new(df.task_ctx());
        let plan = df.create_physical_plan().await.unwrap();
        let batches = collect_concatenated(&plan, &task).await.unwrap()?;
        Some(concat_batches(&plan.schema(), &batches).unwrap())
    }

    async fn one_partition(engine: &Engine, sql: &str) -> RecordBatch {
        let df = session(engine, 1).sql(sql).await.unwrap();
        let schema = Arc::new(df.schema().as_arrow().clone());
        concat_batches(&schema, &df.collect().await.unwrap()).unwrap()
    }

    /// Table order over several partitions comes out as one partition gives it; any
    /// other order is left to DataFusion.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn partitions_joined_in_order_equal_one_partition() {
        let engine = engine();
        let sql = "SELECT sample_id, function_name_id AS node, is_inline \
                   FROM frames WHERE profile_id = 0 ORDER BY sample_id, depth";
        let got = concatenated(&engine, sql)
            .await
            .expect("plan of the expected shape");
        let want = one_partition(&engine, sql).await;
        assert!(want.num_rows() > 3000, "{} rows", want.num_rows());
        assert_eq!(got, want);
        let filtered = "SELECT sample_id, depth FROM frames \
                        WHERE profile_id = 0 AND depth % 3 = 1 ORDER BY sample_id, depth";
        let got = concatenated(&engine, filtered)
            .await
            .expect("a filter keeps the shape");
        assert_eq!(got, one_partition(&engine, filtered).await);

        for other in [
            "SELECT sample_id, depth FROM frames ORDER BY depth, sample_id",
            "SELECT sample_id, depth FROM frames ORDER BY sample_id DESC, depth",
            "SELECT sample_id, count(*) AS n FROM frames GROUP BY sample_id ORDER BY sample_id",
        ] {
            assert!(concatenated(&engine, other).await.is_none(), "{other}");
        }
    }
}
