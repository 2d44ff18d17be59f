-- show_from: keep each sample's frames from the leaf up to its root-most frame of a
-- location matching show_from (pprof_show_from(frame_key) masks those frames); samples
-- without such a frame are dropped. Parameters: input (previous stage), profile_id.
SELECT r.* FROM {{input}} r
JOIN (
    SELECT sample_id, MAX(depth) AS cut FROM frames
    WHERE profile_id = {{profile_id}} AND pprof_show_from(frame_key)
    GROUP BY sample_id
) c ON r.sample_id = c.sample_id
WHERE r.depth <= c.cut
