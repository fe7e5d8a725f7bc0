-- name: submission_versions
-- Per town and report date: how many versions were stored and when the first and last came in.
SELECT town, report_date, count(*) AS versions, min(uploaded_at) AS first_uploaded_at,
       max(uploaded_at) AS last_uploaded_at
FROM uploads
GROUP BY town, report_date
ORDER BY report_date, town;

-- name: towns_reported_on
-- Towns with at least one stored report for the date.
SELECT DISTINCT town
FROM uploads
WHERE report_date = $report_date;
