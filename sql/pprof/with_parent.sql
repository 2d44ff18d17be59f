-- Graph rows with each frame's caller node: the next remaining frame toward the root.
-- After trimming, pprof rebuilds the graph from the kept nodes only, so the caller is
-- then the nearest kept frame (filters: e.g. AND pprof_kept_node(node_id)).
-- Parameters: input, filters.
SELECT sample_id, depth, is_inline, node_id, v, d,
       LEAD(node_id) OVER (PARTITION BY sample_id ORDER BY depth) AS parent_id
FROM {{input}}
WHERE TRUE {{filters}}
