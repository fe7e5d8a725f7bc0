-- name: active_upload
-- The version in force for a town and report date.
SELECT upload_id, version, content_sha256
FROM uploads
WHERE town = $town AND report_date = $report_date AND active;

-- name: supersede
UPDATE uploads
SET active = FALSE, superseded_at = $now
WHERE town = $town AND report_date = $report_date AND active;

-- name: report_versions
-- Every stored version, and who filled it in, of each incoming report's town and date
-- ($towns and $report_dates: the incoming reports, as two lists of the same length).
SELECT u.town, u.upload_id, u.version, u.active, u.filled_by, u.phone
FROM uploads u
JOIN (SELECT unnest($towns) AS town, unnest($report_dates) AS report_date) i
  ON i.town = u.town AND i.report_date = u.report_date;

-- name: supersede_reports
UPDATE uploads
SET active = FALSE, superseded_at = $now
FROM (SELECT unnest($towns) AS town, unnest($report_dates) AS report_date) i
WHERE uploads.town = i.town AND uploads.report_date = i.report_date AND uploads.active;

-- name: insert_uploads
-- One version per incoming report, numbered $versions (after the town and date's earlier ones).
INSERT INTO uploads (upload_id, file_name, sha256, size_bytes, uploaded_at, uploader, town, report_date,
                     version, active, filled_by, phone, is_sample, warning_count, warnings)
SELECT nextval('upload_id_seq'), $file_name, $sha256, $size_bytes, $now, $uploader, i.town, i.report_date,
       i.version, TRUE, $filled_by, $phone, $is_sample, $warning_count, $warnings
FROM (SELECT unnest($towns) AS town, unnest($report_dates) AS report_date, unnest($versions) AS version) i
RETURNING upload_id, town, version;

-- name: insert_compounds
-- The rows of `incoming` (a registered table), each with its report's new upload_id.
INSERT INTO compounds
SELECT upload_id, source_row, town, community, compound, eligible, has_committee,
       CAST(committee_founded AS DATE), committee_members, committee_party_members, committee_party_org,
       CAST(party_org_founded AS DATE), property_company, company_party_org
FROM incoming;

-- name: insert_communities
INSERT INTO communities
SELECT upload_id, source_row, town, community, has_epmc, CAST(epmc_founded AS DATE), epmc_members,
       epmc_party_members, epmc_chair_from_rc, epmc_conflict, green_status
FROM incoming;

-- name: insert_brands
INSERT INTO brands
SELECT upload_id, source_row, town, name, level, CAST(recognized AS DATE), community, compound
FROM incoming;

-- name: insert_epmc_members
INSERT INTO epmc_members
SELECT upload_id, source_row, town, community, name, role, member_type, party_member, conflict
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

-- name: compound_rows
-- The largest ledger's size (compounds: one row per compound of every stored version).
SELECT count(*) FROM compounds;

-- name: get_setting
SELECT value FROM app_settings WHERE key = $key;

-- name: put_setting
INSERT OR REPLACE INTO app_settings VALUES ($key, $value);

-- name: bump_counter
-- A counting setting (the write generation) one higher: its new value; no row if never set.
UPDATE app_settings
SET value = CAST(CAST(value AS BIGINT) + 1 AS VARCHAR)
WHERE key = $key
RETURNING CAST(value AS BIGINT);
