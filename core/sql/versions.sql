-- Versions of stored reports: view one, restore an earlier one, remove the sample data.

-- name: upload_info
SELECT upload_id, town, report_date, version, active, file_name, sha256, size_bytes, uploaded_at, uploader,
       filled_by, phone, is_sample, warning_count, warnings, superseded_at
FROM uploads
WHERE upload_id = $upload_id;

-- name: last_superseded
SELECT max(superseded_at) FROM uploads;

-- name: activate_upload
UPDATE uploads
SET active = TRUE, superseded_at = NULL
WHERE upload_id = $upload_id;

-- name: upload_row_counts
SELECT (SELECT count(*) FROM compounds WHERE upload_id = $upload_id) AS compounds,
       (SELECT count(*) FROM communities WHERE upload_id = $upload_id) AS communities;

-- name: epmc_members_of
SELECT town, community, name, role, member_type, party_member, conflict, source_row
FROM epmc_members
WHERE upload_id IN (SELECT unnest($upload_ids))
ORDER BY town, source_row;

-- name: sample_count
SELECT count(*) FROM uploads WHERE is_sample;

-- name: delete_sample_compounds
DELETE FROM compounds WHERE upload_id IN (SELECT upload_id FROM uploads WHERE is_sample);

-- name: delete_sample_communities
DELETE FROM communities WHERE upload_id IN (SELECT upload_id FROM uploads WHERE is_sample);

-- name: delete_sample_brands
DELETE FROM brands WHERE upload_id IN (SELECT upload_id FROM uploads WHERE is_sample);

-- name: delete_sample_epmc_members
DELETE FROM epmc_members WHERE upload_id IN (SELECT upload_id FROM uploads WHERE is_sample);

-- name: retire_sample_uploads
UPDATE uploads
SET active = FALSE, superseded_at = $now
WHERE is_sample AND active;

-- name: reactivate_real_uploads
-- Run after the sample versions are retired: where a town and date is left without a version in force,
-- its latest real version takes over.
UPDATE uploads
SET active = TRUE, superseded_at = NULL
WHERE upload_id IN (
    SELECT max_by(upload_id, version)
    FROM uploads
    WHERE NOT is_sample
    GROUP BY town, report_date
    HAVING NOT bool_or(active)
);

-- name: delete_sample_uploads
DELETE FROM uploads WHERE is_sample;
