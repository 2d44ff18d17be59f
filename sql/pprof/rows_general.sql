-- pprof graph rows for any granularity and filter: one row per surviving frame of every
-- kept sample, with the frame's node at the report's granularity (table nodes) and the
-- frame's location position (traces tell inlined lines by it).
-- Parameters: profile_id, granularity, value, divisor, filters (conditions on frames f:
-- sample and frame masks, noinlines).
SELECT f.sample_id, f.depth, f.location_index, f.is_inline, n.node_id,
       f.{{value}} AS v, {{divisor}} AS d
FROM frames f
JOIN nodes n ON n.frame_key = f.frame_key
WHERE f.profile_id = {{profile_id}}
  AND n.profile_id = {{profile_id}} AND n.granularity = {{granularity}}
  {{filters}}
