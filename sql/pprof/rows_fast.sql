-- pprof graph rows at functions granularity when no filter rewrites stacks: one row per
-- frame of every kept sample, leaf first (depth 0). node_id is the function name id and
-- parent_id the caller frame's (NULL at the root); first_in_stack marks one row per
-- function per sample, so cum counts a sample once per node even through recursion;
-- first_edge marks one row per (caller, function) pair per sample, for edge weights.
-- Parameters: profile_id, value (sample-type column), divisor (mean divisor expression,
-- 0 when not in mean mode), filters (extra conditions, e.g. a sample mask).
SELECT sample_id, depth, is_inline, function_name_id AS node_id,
       caller_name_id AS parent_id, first_in_stack, first_edge_in_stack AS first_edge,
       {{value}} AS v, {{divisor}} AS d
FROM frames
WHERE profile_id = {{profile_id}} {{filters}}
