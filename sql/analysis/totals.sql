-- Two sample types of one profile, summed over every sample.
SELECT sum(COALESCE({{a}}, 0)) AS a, sum(COALESCE({{b}}, 0)) AS b
FROM samples
WHERE profile_id = {{id}}
