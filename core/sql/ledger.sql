-- The 台账查询 page: the rows of each listed town's report in force on a date, each with `matches`
-- (meets the search and every chosen filter) and `town_order` (the town's place in the campaign);
-- the page counts rows in the database and reads one page of them (ORDER BY … LIMIT/OFFSET on
-- the relation). Every filter is a bound boolean (off: no effect); the search text is bound, matched
-- ignoring case.

-- name: ledger_in_force
-- The listed towns that have a report in force on the date.
SELECT DISTINCT town FROM uploads WHERE active AND report_date <= $as_of AND list_contains($towns, town);

-- name: ledger_compounds
WITH inforce AS (
    SELECT upload_id, report_date, list_position($order, town) AS town_order
    FROM uploads
    WHERE active AND report_date <= $as_of AND list_contains($towns, town)
    QUALIFY row_number() OVER (PARTITION BY town ORDER BY report_date DESC) = 1
)
SELECT c.town, i.report_date, c.community, c.compound, c.eligible, c.has_committee, c.committee_founded,
       c.committee_members, c.committee_party_members, c.committee_party_org, c.party_org_founded,
       c.property_company, c.company_party_org, c.source_row, i.town_order,
       ($search = '' OR contains(upper(c.community), upper($search)) OR contains(upper(c.compound), upper($search))
       OR contains(upper(coalesce(c.property_company, '')), upper($search)))
  AND (NOT $no_committee OR NOT coalesce(c.has_committee, FALSE))
  AND (NOT $no_party_org OR (coalesce(c.has_committee, FALSE) AND NOT coalesce(c.committee_party_org, FALSE)))
  AND (NOT $no_company_org OR (c.property_company IS NOT NULL AND NOT coalesce(c.company_party_org, FALSE)))
       AS matches
FROM compounds c JOIN inforce i USING (upload_id);

-- name: ledger_communities
WITH inforce AS (
    SELECT upload_id, report_date, list_position($order, town) AS town_order
    FROM uploads
    WHERE active AND report_date <= $as_of AND list_contains($towns, town)
    QUALIFY row_number() OVER (PARTITION BY town ORDER BY report_date DESC) = 1
), per_community AS (
    SELECT upload_id, town, community,
           count(*) AS compounds,
           count(*) FILTER (has_committee) AS committees,
           count(*) FILTER (has_committee AND committee_party_org) AS party_orgs,
           count(*) FILTER (has_committee AND committee_party_org AND committee_members > 0
                            AND committee_party_members * $red_den >= committee_members * $red_num) AS red_committees
    FROM compounds JOIN inforce USING (upload_id)
    GROUP BY upload_id, town, community
), rows AS (
    SELECT c.town, i.report_date, c.community, c.has_epmc, c.epmc_founded, c.epmc_members, c.epmc_party_members,
           c.epmc_chair_from_rc, c.epmc_conflict, c.green_status, c.source_row, i.town_order,
           coalesce(p.compounds, 0) AS compounds, coalesce(p.committees, 0) AS committees,
           coalesce(p.party_orgs, 0) AS party_orgs, coalesce(p.red_committees, 0) AS red_committees,
           c.has_epmc AND c.epmc_members >= $epmc_min AND (NOT $epmc_odd OR c.epmc_members % 2 = 1)
               AND c.epmc_party_members * $epmc_den >= c.epmc_members * $epmc_num
               AND NOT coalesce(c.epmc_conflict, FALSE) AS epmc_compliant
    FROM communities c JOIN inforce i USING (upload_id)
    LEFT JOIN per_community p USING (upload_id, town, community)
)
SELECT *,
       ($search = '' OR contains(upper(community), upper($search)))
  AND (NOT $no_epmc OR NOT coalesce(has_epmc, FALSE))
  AND (NOT $epmc_not_compliant OR (coalesce(has_epmc, FALSE) AND NOT coalesce(epmc_compliant, FALSE)))
  AND (NOT $green_not_accepted OR green_status IS DISTINCT FROM $green_accepted) AS matches
FROM rows;

-- name: ledger_brands
WITH inforce AS (
    SELECT upload_id, report_date, list_position($order, town) AS town_order
    FROM uploads
    WHERE active AND report_date <= $as_of AND list_contains($towns, town)
    QUALIFY row_number() OVER (PARTITION BY town ORDER BY report_date DESC) = 1
)
SELECT b.town, i.report_date, b.name, b.level, b.recognized, b.community, b.compound, b.source_row, i.town_order,
       ($search = '' OR contains(upper(b.name), upper($search)) OR contains(upper(coalesce(b.community, '')), upper($search))
       OR contains(upper(coalesce(b.compound, '')), upper($search))) AS matches
FROM brands b JOIN inforce i USING (upload_id);
