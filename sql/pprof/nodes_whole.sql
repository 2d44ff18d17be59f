-- flat and cum per node over general rows (input) when no filter removed frames, so each
-- sample's leaf is still its depth-0 frame: flat from depth 0, cum once per (sample, node);
-- inline_frames: any of the node's frames is an inlined line. (v and d are one sample's
-- values, equal on all its rows: MAX picks them, several times faster than ANY_VALUE.)
-- {{mean}} is FALSE outside mean mode, where the divisor sums fold to 0 and the optimizer
-- drops them.
SELECT node_id,
       SUM(v) FILTER (WHERE leaf) AS flat,
       CASE WHEN {{mean}} THEN SUM(d) FILTER (WHERE leaf) ELSE 0 END AS flat_div,
       SUM(v) AS cum,
       CASE WHEN {{mean}} THEN SUM(d) ELSE 0 END AS cum_div,
       bool_or(inl) AS inline_frames
FROM (
    SELECT sample_id, node_id, MAX(v) AS v, MAX(d) AS d, bool_or(is_inline) AS inl,
           bool_or(depth = 0) AS leaf
    FROM {{input}}
    GROUP BY sample_id, node_id
)
GROUP BY node_id
