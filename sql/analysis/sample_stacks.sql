-- Distinct call stacks of one profile, leaf first, with each frame's file and line, the
-- goroutine state label when the sample has one, and two sample types summed. `a_min1`
-- counts a sample whose value is not positive as 1 (goroutine counts). The analyses
-- (goroutines, contention, allocation paths, storylines, trace_source) walk these rows.
WITH fr AS (
  SELECT sample_id,
         array_agg(CAST(function_name AS VARCHAR) ORDER BY depth) AS names,
         array_agg(COALESCE(CAST(file AS VARCHAR), '') ORDER BY depth) AS files,
         array_agg(line ORDER BY depth) AS lines
  FROM frames
  WHERE profile_id = {{id}}
  GROUP BY sample_id
), st AS (
  SELECT sample_id, min(str) AS state
  FROM labels
  WHERE profile_id = {{id}}
    AND CAST(key AS VARCHAR) IN ('state', 'status', 'goroutine', 'goroutine_state')
  GROUP BY sample_id
)
SELECT fr.names, fr.files, fr.lines, st.state,
       sum(COALESCE(s.{{a}}, 0)) AS a,
       sum(CASE WHEN COALESCE(s.{{a}}, 0) > 0 THEN s.{{a}} ELSE 1 END) AS a_min1,
       sum(COALESCE(s.{{b}}, 0)) AS b,
       count(*) AS samples
FROM samples s
LEFT JOIN fr ON fr.sample_id = s.sample_id
LEFT JOIN st ON st.sample_id = s.sample_id
WHERE s.profile_id = {{id}}
GROUP BY fr.names, fr.files, fr.lines, st.state
