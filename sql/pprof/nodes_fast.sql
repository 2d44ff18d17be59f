-- flat and cum per node over rows_fast (input): flat from each sample's leaf row, cum
-- once per (sample, node). *_div are the mean-mode divisors.
SELECT node_id,
       COALESCE(SUM(v) FILTER (WHERE depth = 0), 0) AS flat,
       COALESCE(SUM(d) FILTER (WHERE depth = 0), 0) AS flat_div,
       COALESCE(SUM(v) FILTER (WHERE first_in_stack), 0) AS cum,
       COALESCE(SUM(d) FILTER (WHERE first_in_stack), 0) AS cum_div
FROM {{input}}
GROUP BY node_id
