-- Labels of the kept samples in file order (traces print them per sample).
-- Parameters: profile_id, filters (e.g. a sample mask).
SELECT sample_id, CAST(key AS VARCHAR) AS key, str, num
FROM labels
WHERE profile_id = {{profile_id}} {{filters}}
ORDER BY sample_id
