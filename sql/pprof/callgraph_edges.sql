-- Call edges between the kept nodes of a call graph (pprof_kept_node), as pprof builds
-- them after trimming: a frame's caller is the nearest kept frame toward the root; an
-- edge is residual when frames were skipped between them. Weight counts once per
-- (sample, caller, callee); self edges are skipped. A sample's first occurrence of an
-- edge from the root decides its inline and residual flags, as in pprof's walk.
-- Parameters: input (graph rows).
SELECT parent_id, node_id, SUM(v) AS weight, SUM(d) AS weight_div,
       bool_and(inl) AS inline, bool_or(res) AS residual
FROM (
    SELECT sample_id, parent_id, node_id, MAX(v) AS v, MAX(d) AS d,
           first_value(is_inline ORDER BY depth DESC) AS inl,
           first_value(parent_pos - pos > 1 ORDER BY depth DESC) AS res
    FROM (
        SELECT sample_id, depth, is_inline, node_id, v, d, pos,
               LEAD(node_id) OVER (PARTITION BY sample_id ORDER BY depth) AS parent_id,
               LEAD(pos) OVER (PARTITION BY sample_id ORDER BY depth) AS parent_pos
        FROM (
            SELECT sample_id, depth, is_inline, node_id, v, d,
                   ROW_NUMBER() OVER (PARTITION BY sample_id ORDER BY depth) AS pos
            FROM {{input}}
            -- pprof's graph skips samples without a value (freed memory in inuse_*).
            WHERE v <> 0 OR d <> 0
        )
        WHERE pprof_kept_node(node_id)
    )
    WHERE parent_id IS NOT NULL AND parent_id <> node_id
    GROUP BY sample_id, parent_id, node_id
)
GROUP BY parent_id, node_id
