-- The stacks of -traces: every surviving frame of the kept samples in file order, leaf
-- first, with its node at the report's granularity. A frame is printed "(inline)" when
-- the next frame toward the root is another line of the same location.
-- Parameters: input (general graph rows).
SELECT sample_id, node_id, v, d,
       COALESCE(LEAD(location_index) OVER (PARTITION BY sample_id ORDER BY depth)
                = location_index, FALSE) AS inline
FROM {{input}}
ORDER BY sample_id, depth
