-- -tags: the sample value summed per label key and value over the kept samples (numeric
-- labels per number; the report formats and merges them with the key's unit).
-- Parameters: profile_id, value (sample-type column), filters (conditions on samples s).
SELECT CAST(l.key AS VARCHAR) AS key, l.str, l.num, SUM(s.{{value}}) AS v
FROM labels l
JOIN samples s ON s.sample_id = l.sample_id
WHERE l.profile_id = {{profile_id}} AND s.profile_id = {{profile_id}} {{filters}}
GROUP BY CAST(l.key AS VARCHAR), l.str, l.num
