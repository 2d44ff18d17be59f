-- Every frame of the kept samples with a value, at the report's granularity: the input
-- of folded stacks and flame graphs. The caller orders each sample's frames by depth
-- and sums equal stacks (array_agg with ORDER BY and grouping by a list column are
-- several times slower than doing that in a hash map).
-- Parameters: input (graph rows).
SELECT sample_id, depth, node_id, v
FROM {{input}}
WHERE v <> 0
