-- The functions of each category with their cum (each sample once per function), for a
-- category's top contributors. `{{categories}}` is a VALUES list of (ord, regex).
WITH cats(ord, pattern) AS (VALUES {{categories}}),
cum AS (
  SELECT CAST(function_name AS VARCHAR) AS name, sum(COALESCE({{value}}, 0)) AS cum
  FROM frames
  WHERE profile_id = {{id}} AND first_in_stack
  GROUP BY 1
)
SELECT c.ord, cum.name, cum.cum
FROM cum JOIN cats c ON stack_contains(make_array(cum.name), c.pattern)
WHERE cum.cum <> 0
