-- pprof graph rows for any granularity and filter: one row per surviving frame of every
-- kept sample, with the frame's node at the report's granularity (pprof_node(frame_key),
-- the mapping the `nodes` table shows) and the frame's location position (traces tell
-- inlined lines by it).
-- Parameters: profile_id, value, divisor, filters (conditions on frames f: sample and
-- frame masks, noinlines).
SELECT f.sample_id, f.depth, f.location_index, f.is_inline,
       pprof_node(f.frame_key) AS node_id,
       f.{{value}} AS v, {{divisor}} AS d
FROM frames f
WHERE f.profile_id = {{profile_id}} {{filters}}
