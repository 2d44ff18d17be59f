-- The stacks of -traces when filters removed lines (hide, show, show_from, prune_from): a
-- frame is "(inline)" when the next surviving frame toward the root is another line of the
-- same location, as pprof decides it after filtering.
-- Parameters: input (general graph rows).
SELECT sample_id, node_id,
       COALESCE(LEAD(location_index) OVER (PARTITION BY sample_id ORDER BY depth)
                = location_index, FALSE) AS inline
FROM {{input}}
ORDER BY sample_id, depth
