-- The samples through each kept node of a call graph (pprof_kept_node), once per
-- (node, sample), with whether the node is the sample's leaf: the weights of the
-- node's label tags (pprof's nodelets). Parameters: input (graph rows).
SELECT node_id, sample_id, MAX(v) AS v, MAX(d) AS d, bool_or(is_leaf) AS leaf
FROM (
    SELECT node_id, sample_id, v, d,
           depth = MIN(depth) OVER (PARTITION BY sample_id) AS is_leaf
    FROM {{input}}
    -- pprof's graph skips samples without a value.
    WHERE v <> 0 OR d <> 0
)
WHERE pprof_kept_node(node_id)
GROUP BY node_id, sample_id
