-- prune_from: drop each sample's frames leaf-ward of its leaf-most frame of a location
-- matching prune_from (pprof_prune_from(frame_key)); that frame becomes the leaf. Samples
-- without a match are kept whole. Parameters: input, profile_id.
SELECT r.* FROM {{input}} r
LEFT JOIN (
    SELECT sample_id, MIN(depth) AS cut FROM frames
    WHERE profile_id = {{profile_id}} AND pprof_prune_from(frame_key)
    GROUP BY sample_id
) c ON r.sample_id = c.sample_id
WHERE c.cut IS NULL OR r.depth >= c.cut
