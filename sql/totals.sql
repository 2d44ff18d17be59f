-- totals: the sum of a sample type over all samples of a profile.
--   total:     signed sum (what `go tool pprof -raw` samples add up to).
--   abs_total: sum of absolute values (pprof's report total, which drops signs).
-- Parameters: profile_id (integer), value (sample-type column).
SELECT COALESCE(SUM({{value}}), 0) AS total,
       COALESCE(SUM(abs({{value}})), 0) AS abs_total,
       COUNT(*) AS samples
FROM samples
WHERE profile_id = {{profile_id}}
