-- top: flat and cum per function at pprof's functions granularity, untrimmed.
--   flat: value of the samples whose leaf frame (depth 0) is the function.
--   cum:  value of the samples whose stack contains the function, once per sample:
--         first_in_stack marks one frame per function per sample, so recursion is not
--         counted twice.
-- Functions whose flat and cum are both 0 are left out, as pprof does.
-- Grouping is by function_name_id (an integer per distinct function_name of the profile),
-- which is much cheaper than grouping by the string; names are joined on afterwards.
-- FILTER is measurably cheaper than SUM(CASE ...) here.
-- Order: pprof's -top order (|flat| desc, name, |cum| desc) or, with by_cum,
-- pprof's -top -cum order (|cum| desc, name, |flat| desc).
-- Parameters: profile_id (integer), value (sample-type column), by_cum (boolean).
SELECT n.function_name AS name, t.flat, t.cum
FROM (
    SELECT function_name_id,
           COALESCE(SUM({{value}}) FILTER (WHERE depth = 0), 0) AS flat,
           COALESCE(SUM({{value}}) FILTER (WHERE first_in_stack), 0) AS cum
    FROM frames
    WHERE profile_id = {{profile_id}}
    GROUP BY function_name_id
) t
JOIN function_names n
  ON n.profile_id = {{profile_id}} AND n.function_name_id = t.function_name_id
WHERE t.flat <> 0 OR t.cum <> 0
ORDER BY
    CASE WHEN {{by_cum}} THEN abs(t.cum) ELSE abs(t.flat) END DESC,
    name ASC,
    CASE WHEN {{by_cum}} THEN abs(t.flat) ELSE abs(t.cum) END DESC
