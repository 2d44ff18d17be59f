-- compare: flat and cum of every function in a `before` and an `after` profile, side by
-- side, with the change of flat and each profile's report total (sum of absolute
-- values). Functions are matched by name across the two profiles.
-- Order: largest |change of flat| first, then name.
-- Parameters: before, after (profile ids), value (sample-type column).
WITH per_function AS (
    SELECT profile_id, function_name_id,
           COALESCE(SUM({{value}}) FILTER (WHERE depth = 0), 0) AS flat,
           COALESCE(SUM({{value}}) FILTER (WHERE first_in_stack), 0) AS cum
    FROM frames
    WHERE profile_id IN ({{before}}, {{after}})
    GROUP BY profile_id, function_name_id
),
side_by_side AS (
    SELECT n.function_name AS name,
           COALESCE(SUM(p.flat) FILTER (WHERE p.profile_id = {{before}}), 0) AS before_flat,
           COALESCE(SUM(p.flat) FILTER (WHERE p.profile_id = {{after}}), 0) AS after_flat,
           COALESCE(SUM(p.cum) FILTER (WHERE p.profile_id = {{before}}), 0) AS before_cum,
           COALESCE(SUM(p.cum) FILTER (WHERE p.profile_id = {{after}}), 0) AS after_cum
    FROM per_function p
    JOIN function_names n
      ON n.profile_id = p.profile_id AND n.function_name_id = p.function_name_id
    GROUP BY n.function_name
),
totals AS (
    SELECT COALESCE(SUM(abs({{value}})) FILTER (WHERE profile_id = {{before}}), 0) AS before_total,
           COALESCE(SUM(abs({{value}})) FILTER (WHERE profile_id = {{after}}), 0) AS after_total
    FROM samples
    WHERE profile_id IN ({{before}}, {{after}})
)
SELECT s.name, s.before_flat, s.after_flat, s.after_flat - s.before_flat AS delta,
       s.before_cum, s.after_cum, t.before_total, t.after_total
FROM side_by_side s CROSS JOIN totals t
WHERE s.before_flat <> 0 OR s.after_flat <> 0 OR s.before_cum <> 0 OR s.after_cum <> 0
ORDER BY abs(s.after_flat - s.before_flat) DESC, s.name ASC
