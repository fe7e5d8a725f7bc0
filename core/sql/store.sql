-- name: active_upload
-- The version in force for a town and report date.
SELECT upload_id, version, content_sha256
FROM uploads
WHERE town = $town AND report_date = $report_date AND active;

-- name: next_version
SELECT coalesce(max(version), 0) + 1 AS version
FROM uploads
WHERE town = $town AND report_date = $report_date;

-- name: supersede
UPDATE uploads
SET active = FALSE, superseded_at = $now
WHERE town = $town AND report_date = $report_date AND active;

-- name: insert_upload
INSERT INTO uploads (upload_id, file_name, sha256, size_bytes, uploaded_at, uploader, town, report_date,
                     version, active, filled_by, phone, is_sample, warning_count, warnings, content_sha256)
VALUES (nextval('upload_id_seq'), $file_name, $sha256, $size_bytes, $now, $uploader, $town, $report_date,
        $version, TRUE, $filled_by, $phone, $is_sample, $warning_count, $warnings, $content_sha256)
RETURNING upload_id;

-- name: insert_compounds
INSERT INTO compounds
SELECT $upload_id, source_row, town, community, compound, eligible, has_committee,
       CAST(committee_founded AS DATE), committee_members, committee_party_members, committee_party_org,
       CAST(party_org_founded AS DATE), property_company, company_party_org
FROM incoming;

-- name: insert_communities
INSERT INTO communities
SELECT $upload_id, source_row, town, community, has_epmc, CAST(epmc_founded AS DATE), epmc_members,
       epmc_party_members, epmc_chair_from_rc, epmc_conflict, green_status
FROM incoming;

-- name: insert_brands
INSERT INTO brands
SELECT $upload_id, source_row, town, name, level, CAST(recognized AS DATE), community, compound
FROM incoming;

-- name: insert_epmc_members
INSERT INTO epmc_members
SELECT $upload_id, source_row, town, community, name, role, member_type, party_member, conflict
FROM incoming;

-- name: uploads
-- Every stored report, newest first.
SELECT upload_id, town, report_date, version, active, file_name, sha256, size_bytes, uploaded_at, uploader,
       filled_by, phone, is_sample, warning_count, superseded_at
FROM uploads
ORDER BY uploaded_at DESC, upload_id DESC;

-- name: data_version
-- Changes whenever a report is stored, superseded, restored or removed: the key of every cached read.
-- The XOR of the hashes of the versions in force changes whenever that set does.
SELECT count(*) AS uploads, coalesce(max(upload_id), 0) AS last_id,
       coalesce(bit_xor(hash(upload_id)) FILTER (WHERE active), 0) AS active_set
FROM uploads;

-- name: get_setting
SELECT value FROM app_settings WHERE key = $key;

-- name: put_setting
INSERT OR REPLACE INTO app_settings VALUES ($key, $value);
