-- name: reports_as_of
-- Each town's reports in force on a date, newest first: rank 1 is its latest active version
-- dated on or before the date, rank 2 the report before that (for pace and change); with each
-- report's counts under $rules from report_counts (counted is false where they are not kept yet).
SELECT u.town, u.upload_id, u.report_date, u.uploaded_at, u.version, u.is_sample, u.recency,
       r.upload_id IS NOT NULL AS counted,
       r.compounds, r.eligible_compounds, r.committees, r.eligible_committees, r.party_orgs, r.red_committees,
       r.communities, r.epmcs, r.compliant_epmcs, r.property_companies, r.property_companies_with_party_org,
       r.green_accepted, r.district_brands_new
FROM (
    SELECT town, upload_id, report_date, uploaded_at, version, is_sample,
           row_number() OVER (PARTITION BY town ORDER BY report_date DESC) AS recency
    FROM uploads
    WHERE active AND report_date <= $as_of
    QUALIFY recency <= 2
) u
LEFT JOIN report_counts r ON r.upload_id = u.upload_id AND r.rules = $rules;

-- name: report_dates
-- Every date some town reported for, oldest first.
SELECT DISTINCT report_date FROM uploads WHERE active ORDER BY report_date;

-- name: town_counts
-- Counts per report for the given uploads. Shares are compared as integers:
-- party * den >= members * num is party / members >= num / den, exactly.
WITH picked AS (
    SELECT unnest($upload_ids) AS upload_id
), compound_counts AS (
    SELECT upload_id,
           count(*) AS compounds,
           count(*) FILTER (eligible) AS eligible_compounds,
           count(*) FILTER (has_committee) AS committees,
           count(*) FILTER (has_committee AND eligible) AS eligible_committees,
           count(*) FILTER (has_committee AND committee_party_org) AS party_orgs,
           count(*) FILTER (has_committee AND committee_party_org AND committee_members > 0
                            AND committee_party_members * $red_den >= committee_members * $red_num) AS red_committees,
           count(DISTINCT property_company) AS property_companies,
           count(DISTINCT property_company) FILTER (company_party_org) AS property_companies_with_party_org
    FROM compounds JOIN picked USING (upload_id)
    GROUP BY upload_id
), community_counts AS (
    SELECT upload_id,
           count(*) AS communities,
           count(*) FILTER (has_epmc) AS epmcs,
           count(*) FILTER (has_epmc AND epmc_members >= $epmc_min AND (NOT $epmc_odd OR epmc_members % 2 = 1)
                            AND epmc_party_members * $epmc_den >= epmc_members * $epmc_num
                            AND NOT coalesce(epmc_conflict, FALSE)) AS compliant_epmcs,
           count(*) FILTER (green_status = $green_accepted) AS green_accepted
    FROM communities JOIN picked USING (upload_id)
    GROUP BY upload_id
), brand_counts AS (
    SELECT upload_id,
           count(*) FILTER (level = $district_level AND year(recognized) = $year
                            AND recognized <= report_date) AS district_brands_new
    FROM brands JOIN picked USING (upload_id) JOIN uploads USING (upload_id)
    GROUP BY upload_id
)
SELECT picked.upload_id,
       coalesce(compounds, 0) AS compounds, coalesce(eligible_compounds, 0) AS eligible_compounds,
       coalesce(committees, 0) AS committees, coalesce(eligible_committees, 0) AS eligible_committees,
       coalesce(party_orgs, 0) AS party_orgs, coalesce(red_committees, 0) AS red_committees,
       coalesce(communities, 0) AS communities, coalesce(epmcs, 0) AS epmcs,
       coalesce(compliant_epmcs, 0) AS compliant_epmcs,
       coalesce(property_companies, 0) AS property_companies,
       coalesce(property_companies_with_party_org, 0) AS property_companies_with_party_org,
       coalesce(green_accepted, 0) AS green_accepted, coalesce(district_brands_new, 0) AS district_brands_new
FROM picked
LEFT JOIN compound_counts USING (upload_id)
LEFT JOIN community_counts USING (upload_id)
LEFT JOIN brand_counts USING (upload_id);

-- name: district_companies
-- Property companies are counted once across towns, by name.
SELECT count(DISTINCT property_company) AS property_companies,
       count(DISTINCT property_company) FILTER (company_party_org) AS property_companies_with_party_org
FROM compounds
WHERE upload_id IN (SELECT unnest($upload_ids));

-- name: compounds_of
SELECT town, community, compound, eligible, has_committee, committee_founded, committee_members,
       committee_party_members, committee_party_org, party_org_founded, property_company, company_party_org,
       source_row
FROM compounds
WHERE upload_id IN (SELECT unnest($upload_ids))
ORDER BY town, source_row;

-- name: communities_of
SELECT town, community, has_epmc, epmc_founded, epmc_members, epmc_party_members, epmc_chair_from_rc,
       epmc_conflict, green_status, source_row
FROM communities
WHERE upload_id IN (SELECT unnest($upload_ids))
ORDER BY town, source_row;

-- name: brands_of
SELECT town, name, level, recognized, community, compound, source_row
FROM brands
WHERE upload_id IN (SELECT unnest($upload_ids))
ORDER BY town, recognized, source_row;

-- name: community_figures
-- Per community of the given reports: its EPMC and the committees of its compounds.
WITH per_community AS (
    SELECT upload_id, town, community,
           count(*) AS compounds,
           count(*) FILTER (has_committee) AS committees,
           count(*) FILTER (has_committee AND committee_party_org) AS party_orgs,
           count(*) FILTER (has_committee AND committee_party_org AND committee_members > 0
                            AND committee_party_members * $red_den >= committee_members * $red_num) AS red_committees
    FROM compounds
    WHERE upload_id IN (SELECT unnest($upload_ids))
    GROUP BY upload_id, town, community
)
SELECT c.town, c.community, coalesce(p.compounds, 0) AS compounds, coalesce(p.committees, 0) AS committees,
       coalesce(p.party_orgs, 0) AS party_orgs, coalesce(p.red_committees, 0) AS red_committees,
       c.has_epmc, c.epmc_members, c.epmc_party_members, coalesce(c.epmc_conflict, FALSE) AS epmc_conflict,
       c.has_epmc AND c.epmc_members >= $epmc_min AND (NOT $epmc_odd OR c.epmc_members % 2 = 1)
           AND c.epmc_party_members * $epmc_den >= c.epmc_members * $epmc_num
           AND NOT coalesce(c.epmc_conflict, FALSE) AS epmc_compliant,
       c.green_status, c.source_row
FROM communities c
LEFT JOIN per_community p USING (upload_id, town, community)
WHERE c.upload_id IN (SELECT unnest($upload_ids))
ORDER BY c.town, c.source_row;

-- name: cached_counts
SELECT upload_id, compounds, eligible_compounds, committees, eligible_committees, party_orgs, red_committees,
       communities, epmcs, compliant_epmcs, property_companies, property_companies_with_party_org,
       green_accepted, district_brands_new
FROM report_counts
WHERE rules = $rules AND upload_id IN (SELECT unnest($upload_ids));

-- name: cache_counts
INSERT OR IGNORE INTO report_counts
SELECT upload_id, $rules, compounds, eligible_compounds, committees, eligible_committees, party_orgs,
       red_committees, communities, epmcs, compliant_epmcs, property_companies, property_companies_with_party_org,
       green_accepted, district_brands_new
FROM computed;

-- name: history_district
-- The district on every report date up to $until. The report in force for a date and town is its
-- latest active version dated on or before that date: the set-based form of reports_as_of over many
-- dates (core.history applies the same rule to the towns' own rows). Per date: how many listed
-- towns had a report in force, how many of those reports have their counts in report_counts, the
-- reports' ids (sorted, for district_companies) and the sums of their counts.
WITH days AS (
    SELECT DISTINCT report_date AS day FROM uploads WHERE active AND report_date <= $until
), in_force AS (
    SELECT d.day, u.upload_id
    FROM days d JOIN uploads u ON u.active AND u.report_date <= d.day
    JOIN (SELECT unnest($towns) AS town) t ON t.town = u.town
    QUALIFY row_number() OVER (PARTITION BY d.day, u.town ORDER BY u.report_date DESC) = 1
)
SELECT h.day, count(*) AS reports, count(r.upload_id) AS counted, list(h.upload_id ORDER BY h.upload_id) AS upload_ids,
       sum(r.compounds), sum(r.eligible_compounds), sum(r.committees), sum(r.eligible_committees), sum(r.party_orgs),
       sum(r.red_committees), sum(r.communities), sum(r.epmcs), sum(r.compliant_epmcs), sum(r.property_companies),
       sum(r.property_companies_with_party_org), sum(r.green_accepted), sum(r.district_brands_new)
FROM in_force h
LEFT JOIN report_counts r ON r.upload_id = h.upload_id AND r.rules = $rules
GROUP BY h.day
ORDER BY h.day;

-- name: town_reports_counts
-- Every active report of the listed towns dated up to $until, with its counts from report_counts
-- (counted is false where they are not kept yet): core.history takes each town's report in force
-- on each report date from these, by the rule of history_district.
SELECT u.report_date, u.town, u.upload_id, r.upload_id IS NOT NULL AS counted,
       r.compounds, r.eligible_compounds, r.committees, r.eligible_committees, r.party_orgs, r.red_committees,
       r.communities, r.epmcs, r.compliant_epmcs, r.property_companies, r.property_companies_with_party_org,
       r.green_accepted, r.district_brands_new
FROM uploads u
LEFT JOIN report_counts r ON r.upload_id = u.upload_id AND r.rules = $rules
WHERE u.active AND u.report_date <= $until AND u.town IN (SELECT unnest($towns));

-- name: district_companies_cached
SELECT set_key, property_companies, property_companies_with_party_org
FROM district_companies
WHERE set_key IN (SELECT unnest($keys));

-- name: district_companies_keep
INSERT OR IGNORE INTO district_companies VALUES ($key, $property_companies, $property_companies_with_party_org);

-- name: missing_counts
-- The given reports whose counts under these rules are not yet in report_counts.
SELECT upload_id FROM (SELECT unnest($upload_ids) AS upload_id)
WHERE upload_id NOT IN (SELECT upload_id FROM report_counts WHERE rules = $rules);

-- name: history_district_sums
-- The district's summed counts on each date, from report_counts (every count must be there).
SELECT h.day, count(*) AS reports,
       sum(r.compounds), sum(r.eligible_compounds), sum(r.committees), sum(r.eligible_committees), sum(r.party_orgs),
       sum(r.red_committees), sum(r.communities), sum(r.epmcs), sum(r.compliant_epmcs), sum(r.property_companies),
       sum(r.property_companies_with_party_org), sum(r.green_accepted), sum(r.district_brands_new)
FROM (SELECT unnest($days) AS day, unnest($upload_ids) AS upload_id) h
JOIN report_counts r ON r.upload_id = h.upload_id AND r.rules = $rules
GROUP BY h.day
ORDER BY h.day;
