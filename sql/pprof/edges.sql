-- Call edges touching the nodes of interest (pprof_edge_node(node_id)), for peek: weight
-- counted once per (sample, caller, callee), self edges skipped; inline if every
-- contributing callee frame is an inlined line. Parameters: input (graph rows with
-- parent_id). {{mean}}: FALSE outside mean mode (the divisor sum folds to 0).
SELECT parent_id, node_id, SUM(v) AS weight,
       CASE WHEN {{mean}} THEN SUM(d) ELSE 0 END AS weight_div, bool_and(inl) AS inline
FROM (
    SELECT sample_id, parent_id, node_id, MAX(v) AS v, MAX(d) AS d,
           bool_and(is_inline) AS inl
    FROM {{input}}
    WHERE parent_id IS NOT NULL AND parent_id <> node_id
      AND (pprof_edge_node(node_id) OR pprof_edge_node(parent_id))
    GROUP BY sample_id, parent_id, node_id
)
GROUP BY parent_id, node_id
