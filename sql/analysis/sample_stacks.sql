-- Distinct call stacks of one profile, with the goroutine state label when the sample
-- has one, and two sample types summed. Samples are grouped by `stack_id` (equal location
-- lists, an integer: grouping by the list itself costs far more); `sample_id` is one
-- sample of the group, whose locations the caller reads. `a_min1` counts a sample whose
-- value is not positive as 1 (goroutine counts). The analyses (goroutines, contention,
-- allocation paths, storylines, trace_source) expand the locations into frames with the
-- profile's symbols (the frames table's rows) and walk them.
WITH st AS (
  SELECT sample_id, min(str) AS state
  FROM labels
  WHERE profile_id = {{id}}
    AND CAST(key AS VARCHAR) IN ('state', 'status', 'goroutine', 'goroutine_state')
  GROUP BY sample_id
)
SELECT min(s.sample_id) AS sample_id, st.state,
       sum(COALESCE(s.{{a}}, 0)) AS a,
       sum(CASE WHEN COALESCE(s.{{a}}, 0) > 0 THEN s.{{a}} ELSE 1 END) AS a_min1,
       sum(COALESCE(s.{{b}}, 0)) AS b,
       count(*) AS samples
FROM samples s
LEFT JOIN st ON st.sample_id = s.sample_id
WHERE s.profile_id = {{id}}
GROUP BY s.stack_id, st.state
