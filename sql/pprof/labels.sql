-- pprof's "(inline)" / "(partial-inline)" labels: an edge caller -> node is inline when
-- every frame contributing to it is an inlined line (pprof ANDs the flag over the edge's
-- contributions); a node is labelled by its incoming edges: any inline edge and any
-- call edge. Self edges are skipped, and so are edges lighter than edge_cutoff (pprof
-- trims them before printing). An edge weighs each sample once.
-- Only nodes that have an inlined frame can be labelled, so the rows are first cut to
-- those (pprof_label_node(node_id)).
-- Parameters: input (rows with parent_id), edge_cutoff.
SELECT node_id,
       COALESCE(bool_or(inl) FILTER (WHERE abs(w) >= {{edge_cutoff}}), FALSE) AS any_inline,
       COALESCE(bool_or(NOT inl) FILTER (WHERE abs(w) >= {{edge_cutoff}}), FALSE) AS any_call
FROM (
    SELECT node_id, parent_id, bool_and(inl) AS inl, SUM(v) AS w
    FROM (
        SELECT sample_id, node_id, parent_id, bool_and(is_inline) AS inl, MAX(v) AS v
        FROM {{input}}
        WHERE parent_id <> node_id AND pprof_label_node(node_id)
        GROUP BY sample_id, node_id, parent_id
    )
    GROUP BY node_id, parent_id
)
GROUP BY node_id
