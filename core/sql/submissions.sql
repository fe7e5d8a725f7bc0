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

-- name: upload_stamp
-- Every date some town reported for, oldest first (report_dates), when the latest upload came in,
-- and whether any sample report is in force (the sidebar's stamp).
SELECT coalesce(list(DISTINCT report_date ORDER BY report_date) FILTER (WHERE active), []),
       max(uploaded_at), coalesce(bool_or(is_sample) FILTER (WHERE active), FALSE)
FROM uploads;
