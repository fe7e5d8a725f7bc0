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

-- name: version_rows
-- Every ledger row of one stored version in one read: `ledger` names the ledger, then its columns as
-- its *_of statement gives them (NULL in the other ledgers' columns), each ledger in that statement's
-- order.
SELECT 'compounds' AS ledger, town, community, compound, eligible, has_committee, committee_founded,
       committee_members, committee_party_members, committee_party_org, party_org_founded, property_company,
       company_party_org, source_row
FROM compounds WHERE upload_id = $upload_id
UNION ALL BY NAME
SELECT 'communities' AS ledger, town, community, has_epmc, epmc_founded, epmc_members, epmc_party_members,
       epmc_chair_from_rc, epmc_conflict, green_status, source_row
FROM communities WHERE upload_id = $upload_id
UNION ALL BY NAME
SELECT 'brands' AS ledger, town, name, level, recognized, community, compound, source_row
FROM brands WHERE upload_id = $upload_id
UNION ALL BY NAME
SELECT 'epmc_members' AS ledger, town, community, name, role, member_type, party_member, conflict, source_row
FROM epmc_members WHERE upload_id = $upload_id
ORDER BY ledger, town, recognized, source_row;

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
