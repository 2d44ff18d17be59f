-- How much of a profile lies under each overhead category: a sample counts once for a
-- category when any of its frames matches the category's regex, so no category exceeds
-- 100%. `{{categories}}` is a VALUES list of (ord, regex) built from the category data;
-- ord 0 is the union of all categories (the share under any of them). Regexes are tried
-- on the profile's distinct function names, then joined to the frames by id.
WITH cats(ord, pattern) AS (VALUES {{categories}}),
matched AS (
  SELECT c.ord, n.function_name_id
  FROM function_names n
  JOIN cats c ON stack_contains(make_array(n.function_name), c.pattern)
  WHERE n.profile_id = {{id}}
),
hits AS (
  SELECT DISTINCT m.ord, f.sample_id
  FROM frames f
  JOIN matched m ON f.function_name_id = m.function_name_id
  WHERE f.profile_id = {{id}}
)
SELECT -1 AS ord, sum(abs(COALESCE({{value}}, 0))) AS value
FROM samples
WHERE profile_id = {{id}}
UNION ALL
SELECT h.ord, sum(COALESCE(s.{{value}}, 0)) AS value
FROM hits h
JOIN samples s ON s.sample_id = h.sample_id
WHERE s.profile_id = {{id}}
GROUP BY h.ord
