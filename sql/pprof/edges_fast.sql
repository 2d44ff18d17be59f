-- Call edges touching the nodes of interest (pprof_edge_node(node_id)), for peek, on
-- pprof's rows at functions granularity with whole stacks: first_edge marks one row per
-- (sample, caller, callee), so the weight is one sum instead of a group per sample.
-- Inline if every contributing callee frame is an inlined line; self edges skipped.
-- Parameters: input (graph rows with first_edge); mean (FALSE outside mean mode: the
-- divisor sum folds to 0).
SELECT parent_id, node_id,
       SUM(CASE WHEN first_edge THEN v ELSE 0 END) AS weight,
       CASE WHEN {{mean}} THEN SUM(CASE WHEN first_edge THEN d ELSE 0 END) ELSE 0 END
           AS weight_div,
       bool_and(is_inline) AS inline
FROM {{input}}
WHERE parent_id IS NOT NULL AND parent_id <> node_id
  AND (pprof_edge_node(node_id) OR pprof_edge_node(parent_id))
GROUP BY parent_id, node_id
