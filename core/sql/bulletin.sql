-- name: report_warnings
-- The warnings (JSON list) the importer raised for each given stored report.
SELECT upload_id, warnings
FROM uploads
WHERE upload_id IN (SELECT unnest($upload_ids))
ORDER BY upload_id;
