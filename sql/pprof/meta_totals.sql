-- pprof.meta: raw sums of every sample type (signed, no filters) and the sample count.
-- Parameters: profile_id, sums (one SUM(column) per sample type, built by the tool).
SELECT COUNT(*) AS samples {{sums}}
FROM samples
WHERE profile_id = {{profile_id}}
