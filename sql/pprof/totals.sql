-- pprof's report total: the sum of |value| over the samples (only the base samples'
-- when diffing against a base), divided by the sum of divisors in mean mode.
-- Parameters: profile_id, value, divisor, filters.
SELECT COALESCE(SUM(abs({{value}})), 0) AS total, COALESCE(SUM({{divisor}}), 0) AS div
FROM samples
WHERE profile_id = {{profile_id}} {{filters}}
