-- The functions of each category with their cum (each sample once per function), for a
-- category's top contributors. `{{categories}}` is a VALUES list of (ord, regex), tried on
-- the profile's distinct function names.
WITH cats(ord, pattern) AS (VALUES {{categories}}),
matched AS (
  SELECT c.ord, n.function_name_id, n.function_name AS name
  FROM function_names n
  JOIN cats c ON stack_contains(make_array(n.function_name), c.pattern)
  WHERE n.profile_id = {{id}}
),
cum AS (
  SELECT function_name_id, sum(COALESCE({{value}}, 0)) AS cum
  FROM frames
  WHERE profile_id = {{id}} AND first_in_stack
    AND function_name_id IN (SELECT function_name_id FROM matched)
  GROUP BY function_name_id
)
SELECT m.ord, m.name, cum.cum
FROM matched m
JOIN cum ON cum.function_name_id = m.function_name_id
WHERE cum.cum <> 0
