-- The stacks of -traces: every frame of the kept samples in file order, leaf first, with
-- its node at the report's granularity and whether it is an inlined line (sample values
-- come once per sample from trace_values).
-- Parameters: input (general graph rows).
SELECT sample_id, node_id, is_inline AS inline
FROM {{input}}
ORDER BY sample_id, depth
