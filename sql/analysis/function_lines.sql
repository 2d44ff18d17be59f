-- How many location lines each function has in a profile: detect_repo weighs module
-- paths by how much of the binary's code the profile touched.
SELECT CAST(f.name AS VARCHAR) AS name, count(*) AS n
FROM lines l
JOIN functions f ON f.profile_id = l.profile_id AND f.function_id = l.function_id
WHERE l.profile_id = {{id}}
GROUP BY 1
