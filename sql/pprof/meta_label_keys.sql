-- pprof.meta: the label keys (string and numeric) used by any sample, sorted.
-- Parameters: profile_id.
SELECT DISTINCT CAST(key AS VARCHAR) AS key
FROM labels
WHERE profile_id = {{profile_id}}
ORDER BY key
