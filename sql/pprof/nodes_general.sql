-- flat and cum per node over general rows (input), after filters removed frames: the
-- leaf is each sample's lowest remaining depth; cum counts each (sample, node) once;
-- inline_frames: any of the node's frames is an inlined line. (v and d are one sample's
-- values, equal on all its rows: MAX picks them, several times faster than ANY_VALUE.)
-- {{mean}} is FALSE outside mean mode, where the divisor sums fold to 0 and the optimizer
-- drops them.
SELECT c.node_id,
       COALESCE(f.flat, 0) AS flat,
       CASE WHEN {{mean}} THEN COALESCE(f.flat_div, 0) ELSE 0 END AS flat_div,
       c.cum, CASE WHEN {{mean}} THEN c.cum_div ELSE 0 END AS cum_div, c.inline_frames
FROM (
    SELECT node_id, SUM(v) AS cum, SUM(d) AS cum_div, bool_or(inl) AS inline_frames
    FROM (
        SELECT sample_id, node_id, MAX(v) AS v, MAX(d) AS d,
               bool_or(is_inline) AS inl
        FROM {{input}}
        GROUP BY sample_id, node_id
    )
    GROUP BY node_id
) c
LEFT JOIN (
    SELECT r.node_id, SUM(r.v) AS flat, SUM(r.d) AS flat_div
    FROM {{input}} r
    JOIN (SELECT sample_id, MIN(depth) AS depth FROM {{input}} GROUP BY sample_id) leaf
      ON r.sample_id = leaf.sample_id AND r.depth = leaf.depth
    GROUP BY r.node_id
) f ON f.node_id = c.node_id
