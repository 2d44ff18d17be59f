//! End-to-end: the functions registered in a SessionContext and used from SQL.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, Int64Array, LargeListBuilder, ListBuilder, RecordBatch, StringBuilder,
    StringViewBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::arrow::util::pretty::pretty_format_batches;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

const STACKS: &[&[&str]] = &[
    &["main.main", "app.handle", "runtime.mallocgc"],
    &["main.main", "app.handle", "app.parse"],
    &["runtime.goexit", "runtime.gcBgMarkWorker"],
    &[],
];

fn samples() -> RecordBatch {
    let mut stack = ListBuilder::new(StringBuilder::new());
    let mut view_stack = LargeListBuilder::new(StringViewBuilder::new());
    for frames in STACKS {
        for f in *frames {
            stack.values().append_value(f);
            view_stack.values().append_value(f);
        }
        stack.append(true);
        view_stack.append(true);
    }
    stack.append_null();
    view_stack.append_null();
    let stack = stack.finish();
    let view_stack = view_stack.finish();
    let id: ArrayRef = Arc::new(Int64Array::from_iter_values(1..=5));
    let value: ArrayRef = Arc::new(Int64Array::from(vec![
        Some(1_100_000_000),
        Some(10_000_000),
        Some(2_500),
        Some(0),
        None,
    ]));
    let schema = Schema::new(vec![
        Field::new("id", DataType::Int64, false),
        Field::new("stack", stack.data_type().clone(), true),
        Field::new("view_stack", view_stack.data_type().clone(), true),
        Field::new("value", DataType::Int64, true),
    ]);
    RecordBatch::try_new(
        Arc::new(schema),
        vec![id, Arc::new(stack), Arc::new(view_stack), value],
    )
    .unwrap()
}

fn context() -> SessionContext {
    let ctx = SessionContext::new();
    profsql_udfs::register_all(&ctx);
    let batch = samples();
    let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).unwrap();
    ctx.register_table("samples", Arc::new(table)).unwrap();
    ctx
}

async fn query(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    pretty_format_batches(&batches).unwrap().to_string()
}

#[tokio::test]
async fn all_functions_from_sql() {
    let ctx = context();
    let got = query(
        &ctx,
        "SELECT id,
                stack_contains(stack, '^runtime\\.') AS rt,
                stack_position(stack, 'app\\.') AS app_pos,
                frame_at(stack, -2) AS caller,
                leaf(stack) AS leaf,
                root(stack) AS root,
                stack_slice(stack, 2, -1) AS tail,
                fold_stack(stack) AS folded,
                is_app_frame(leaf(stack), 'app., main.') AS app_leaf,
                format_value(value, 'nanoseconds') AS v
         FROM samples ORDER BY id",
    )
    .await;
    let want = "\
+----+-------+---------+----------------+------------------------+----------------+--------------------------------+---------------------------------------+----------+--------+
| id | rt    | app_pos | caller         | leaf                   | root           | tail                           | folded                                | app_leaf | v      |
+----+-------+---------+----------------+------------------------+----------------+--------------------------------+---------------------------------------+----------+--------+
| 1  | true  | 2       | app.handle     | runtime.mallocgc       | main.main      | [app.handle, runtime.mallocgc] | main.main;app.handle;runtime.mallocgc | false    | 1.10s  |
| 2  | false | 2       | app.handle     | app.parse              | main.main      | [app.handle, app.parse]        | main.main;app.handle;app.parse        | true     | 10ms   |
| 3  | true  |         | runtime.goexit | runtime.gcBgMarkWorker | runtime.goexit | [runtime.gcBgMarkWorker]       | runtime.goexit;runtime.gcBgMarkWorker | false    | 2.50us |
| 4  | false |         |                |                        |                | []                             |                                       |          | 0      |
| 5  |       |         |                |                        |                |                                |                                       |          |        |
+----+-------+---------+----------------+------------------------+----------------+--------------------------------+---------------------------------------+----------+--------+";
    assert_eq!(got, want, "\n{got}");
}

#[tokio::test]
async fn null_versus_empty_results() {
    let ctx = context();
    // Blank cells above hide the difference between '' / [] and NULL.
    let got = query(
        &ctx,
        "SELECT id, fold_stack(stack) IS NULL AS fold_null,
                stack_slice(stack, 1, -1) IS NULL AS slice_null,
                leaf(stack) IS NULL AS leaf_null
         FROM samples WHERE id >= 4 ORDER BY id",
    )
    .await;
    let want = "\
+----+-----------+------------+-----------+
| id | fold_null | slice_null | leaf_null |
+----+-----------+------------+-----------+
| 4  | false     | false      | true      |
| 5  | true      | true       | true      |
+----+-----------+------------+-----------+";
    assert_eq!(got, want, "\n{got}");
}

#[tokio::test]
async fn large_list_of_string_views_is_coerced() {
    let ctx = context();
    let got = query(
        &ctx,
        "SELECT count(*) AS n FROM samples
         WHERE (fold_stack(view_stack) IS NOT DISTINCT FROM fold_stack(stack))
           AND (stack_contains(view_stack, 'gc') IS NOT DISTINCT FROM stack_contains(stack, 'gc'))
           AND (frame_at(view_stack, 2) IS NOT DISTINCT FROM frame_at(stack, 2))",
    )
    .await;
    let want = "\
+---+
| n |
+---+
| 5 |
+---+";
    assert_eq!(got, want, "\n{got}");
}

#[tokio::test]
async fn literals_and_grouping() {
    let ctx = context();
    let got = query(
        &ctx,
        "SELECT leaf(['a', 'b', 'c']) AS l, frame_at(['a', 'b'], -2) AS f,
                stack_position(['a', 'b'], 'b') AS p, leaf(NULL) AS n,
                format_value(65536000, 'bytes') AS b, format_value(1.5, 'ms') AS t,
                format_value(42, 'widgets') AS w",
    )
    .await;
    let want = "\
+---+---+---+---+---------+--------+------------+
| l | f | p | n | b       | t      | w          |
+---+---+---+---+---------+--------+------------+
| c | a | 2 |   | 62.50MB | 1.50ms | 42 widgets |
+---+---+---+---+---------+--------+------------+";
    assert_eq!(got, want, "\n{got}");

    let got = query(
        &ctx,
        "SELECT stack_contains(stack, 'runtime') AS rt,
                format_value(sum(value), 'nanoseconds') AS total
         FROM samples WHERE stack IS NOT NULL GROUP BY 1 ORDER BY 1",
    )
    .await;
    let want = "\
+-------+-------+
| rt    | total |
+-------+-------+
| false | 10ms  |
| true  | 1.10s |
+-------+-------+";
    assert_eq!(got, want, "\n{got}");
}

#[tokio::test]
async fn invalid_regex_fails_the_query() {
    let ctx = context();
    let result = match ctx
        .sql("SELECT stack_contains(stack, '(oops') FROM samples")
        .await
    {
        Ok(df) => df.collect().await.map(|_| ()),
        Err(e) => Err(e),
    };
    let err = result.unwrap_err().to_string();
    assert!(
        err.contains("stack_contains") && err.contains("(oops"),
        "{err}"
    );
}

#[tokio::test]
async fn wrong_argument_types_fail_planning() {
    let ctx = context();
    let err = ctx
        .sql("SELECT leaf(value) FROM samples")
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("leaf"), "{err}");
}

#[test]
fn every_udf_is_documented() {
    let udfs = profsql_udfs::all_udfs();
    let mut names: Vec<&str> = udfs.iter().map(|u| u.name()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "fold_stack",
            "format_value",
            "frame_at",
            "is_app_frame",
            "leaf",
            "root",
            "stack_contains",
            "stack_position",
            "stack_slice",
        ]
    );
    for udf in &udfs {
        let doc = udf.documentation().expect("documented");
        assert!(!doc.description.is_empty(), "{}", udf.name());
        assert!(doc.syntax_example.starts_with(udf.name()), "{}", udf.name());
        assert!(doc.sql_example.is_some(), "{}", udf.name());
        assert!(
            !doc.arguments.as_deref().unwrap_or_default().is_empty(),
            "{}",
            udf.name()
        );
    }
}
