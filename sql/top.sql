-- top: flat and cum per function at pprof's functions granularity, untrimmed.
--   flat: value of the samples whose leaf frame (depth 0) is the function.
--   cum:  value of the samples whose stack contains the function, once per sample:
--         first_in_stack marks one frame per function per sample, so recursion is not
--         counted twice.
-- Functions whose flat and cum are both 0 are left out, as pprof does.
-- Order: pprof's -top order (|flat| desc, name, |cum| desc) or, with by_cum,
-- pprof's -top -cum order (|cum| desc, name, |flat| desc).
-- Parameters: profile_id (integer), value (sample-type column), by_cum (boolean).
SELECT name, flat, cum
FROM (
    SELECT CAST(function_name AS VARCHAR) AS name,
           SUM(CASE WHEN depth = 0 THEN {{value}} ELSE 0 END) AS flat,
           SUM(CASE WHEN first_in_stack THEN {{value}} ELSE 0 END) AS cum
    FROM frames
    WHERE profile_id = {{profile_id}}
    GROUP BY function_name
)
WHERE flat <> 0 OR cum <> 0
ORDER BY
    CASE WHEN {{by_cum}} THEN abs(cum) ELSE abs(flat) END DESC,
    name ASC,
    CASE WHEN {{by_cum}} THEN abs(flat) ELSE abs(cum) END DESC
