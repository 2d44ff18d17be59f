-- Each sample's value for -traces, by sample id: the frame rows do not repeat it.
-- Parameters: profile_id, value, divisor (v / d in mean mode, else d = 0).
SELECT sample_id, {{value}} AS v, {{divisor}} AS d
FROM samples
WHERE profile_id = {{profile_id}}
