-- flat and cum per node over rows_fast (input): flat from each sample's leaf row, cum
-- once per (sample, node). *_div are the mean-mode divisors; inline_frames tells whether
-- any of the node's frames is an inlined line (only those nodes can be labelled inline).
-- {{mean}} is FALSE outside mean mode, where the divisor sums fold to 0 and the optimizer
-- drops them.
SELECT node_id,
       COALESCE(SUM(v) FILTER (WHERE depth = 0), 0) AS flat,
       CASE WHEN {{mean}} THEN COALESCE(SUM(d) FILTER (WHERE depth = 0), 0) ELSE 0 END
           AS flat_div,
       COALESCE(SUM(v) FILTER (WHERE first_in_stack), 0) AS cum,
       CASE WHEN {{mean}} THEN COALESCE(SUM(d) FILTER (WHERE first_in_stack), 0) ELSE 0 END
           AS cum_div,
       bool_or(is_inline) AS inline_frames
FROM {{input}}
GROUP BY node_id
