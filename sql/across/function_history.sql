-- function_history: for each of several profiles, the functions whose name matches a
-- regex, with flat and cum as `go tool pprof -top` counts them (cum once per sample,
-- recursion included), and the profile's report total (sum of absolute values).
-- The regex is applied to the small function_names table, not to every frame.
-- A profile with no match still has one row (name NULL), so every profile answers.
-- Parameters: profile_ids (SQL list of integers), value (sample-type column),
--             pattern (regex string).
WITH totals AS (
    SELECT profile_id, COALESCE(SUM(abs({{value}})), 0) AS total
    FROM samples
    WHERE profile_id IN ({{profile_ids}})
    GROUP BY profile_id
),
matched AS (
    SELECT profile_id, function_name_id, function_name
    FROM function_names
    WHERE profile_id IN ({{profile_ids}}) AND regexp_like(function_name, {{pattern}})
),
hits AS (
    SELECT f.profile_id, f.function_name_id,
           COALESCE(SUM(f.{{value}}) FILTER (WHERE f.depth = 0), 0) AS flat,
           COALESCE(SUM(f.{{value}}) FILTER (WHERE f.first_in_stack), 0) AS cum
    FROM frames f
    JOIN matched m
      ON m.profile_id = f.profile_id AND m.function_name_id = f.function_name_id
    GROUP BY f.profile_id, f.function_name_id
)
SELECT t.profile_id, m.function_name AS name, h.flat, h.cum, t.total
FROM totals t
LEFT JOIN hits h ON h.profile_id = t.profile_id
LEFT JOIN matched m
  ON m.profile_id = h.profile_id AND m.function_name_id = h.function_name_id
ORDER BY t.profile_id, abs(h.flat) DESC NULLS LAST, name ASC, abs(h.cum) DESC
