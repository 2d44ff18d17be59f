-- How much of a profile lies under each overhead category: a sample counts once for a
-- category when any of its frames matches the category's regex, so no category exceeds
-- 100%. `{{categories}}` is a VALUES list of (ord, regex) built from the category data;
-- ord 0 is the union of all categories (the share under any of them).
WITH cats(ord, pattern) AS (VALUES {{categories}}),
s AS (
  SELECT stack, COALESCE({{value}}, 0) AS v
  FROM stacks
  WHERE profile_id = {{id}}
)
SELECT -1 AS ord, sum(abs(v)) AS value FROM s
UNION ALL
SELECT c.ord, sum(s.v) AS value
FROM s JOIN cats c ON stack_contains(s.stack, c.pattern)
GROUP BY c.ord
