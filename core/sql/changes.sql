-- name: decrease_counts
-- For many pairs of reports at once (each town's previous and latest), how many items went down:
-- the counts report_changes flags 需核对, matched the same way (community and compound names).
WITH pairs AS (
    SELECT unnest($previous) AS previous, unnest($latest) AS latest
), before AS (
    SELECT p.latest AS pair, c.community, c.compound, c.has_committee, c.committee_party_org
    FROM compounds c JOIN pairs p ON c.upload_id = p.previous
), after AS (
    SELECT p.latest AS pair, c.community, c.compound, c.has_committee, c.committee_party_org
    FROM compounds c JOIN pairs p ON c.upload_id = p.latest
), compound_decreases AS (
    SELECT coalesce(a.pair, b.pair) AS pair,
           count(*) FILTER (a.compound IS NULL) AS compounds_removed,
           count(*) FILTER (b.compound IS NOT NULL AND a.compound IS NOT NULL
                            AND coalesce(b.has_committee, FALSE) AND NOT coalesce(a.has_committee, FALSE))
               AS committees_lost,
           count(*) FILTER (b.compound IS NOT NULL AND a.compound IS NOT NULL
                            AND coalesce(b.has_committee AND b.committee_party_org, FALSE)
                            AND NOT coalesce(a.has_committee AND a.committee_party_org, FALSE)) AS party_orgs_lost
    FROM before b FULL OUTER JOIN after a ON a.pair = b.pair AND a.community = b.community AND a.compound = b.compound
    GROUP BY 1
), community_before AS (
    SELECT p.latest AS pair, c.community, c.has_epmc FROM communities c JOIN pairs p ON c.upload_id = p.previous
), community_after AS (
    SELECT p.latest AS pair, c.community, c.has_epmc FROM communities c JOIN pairs p ON c.upload_id = p.latest
), community_decreases AS (
    SELECT coalesce(a.pair, b.pair) AS pair,
           count(*) FILTER (a.community IS NULL) AS communities_removed,
           count(*) FILTER (b.community IS NOT NULL AND a.community IS NOT NULL
                            AND coalesce(b.has_epmc, FALSE) AND NOT coalesce(a.has_epmc, FALSE)) AS epmcs_lost
    FROM community_before b FULL OUTER JOIN community_after a ON a.pair = b.pair AND a.community = b.community
    GROUP BY 1
)
SELECT p.latest, coalesce(c.compounds_removed, 0), coalesce(c.committees_lost, 0), coalesce(c.party_orgs_lost, 0),
       coalesce(m.communities_removed, 0), coalesce(m.epmcs_lost, 0)
FROM pairs p
LEFT JOIN compound_decreases c ON c.pair = p.latest
LEFT JOIN community_decreases m ON m.pair = p.latest;

-- name: report_changes
-- Every change from one report to the next, one row each, in the order report_changes lists them:
-- `change` indexes core.changes.CHANGE_ORDER (compounds added, removed, committees formed, lost,
-- party organisations formed, lost; communities added, removed, EPMCs formed, lost), then by
-- community and compound. A flag missing in a report counts as not set.
WITH compound_pairs AS (
    SELECT coalesce(a.community, b.community) AS community, coalesce(a.compound, b.compound) AS compound,
           b.compound IS NOT NULL AS in_before, a.compound IS NOT NULL AS in_after,
           coalesce(b.has_committee, FALSE) AS committee_before, coalesce(a.has_committee, FALSE) AS committee_after,
           coalesce(b.has_committee AND b.committee_party_org, FALSE) AS party_before,
           coalesce(a.has_committee AND a.committee_party_org, FALSE) AS party_after
    FROM (SELECT * FROM compounds WHERE upload_id = $previous) b
    FULL OUTER JOIN (SELECT * FROM compounds WHERE upload_id = $latest) a
        ON a.community = b.community AND a.compound = b.compound
), community_pairs AS (
    SELECT coalesce(a.community, b.community) AS community,
           b.community IS NOT NULL AS in_before, a.community IS NOT NULL AS in_after,
           coalesce(b.has_epmc, FALSE) AS epmc_before, coalesce(a.has_epmc, FALSE) AS epmc_after
    FROM (SELECT * FROM communities WHERE upload_id = $previous) b
    FULL OUTER JOIN (SELECT * FROM communities WHERE upload_id = $latest) a ON a.community = b.community
), changes AS (
    SELECT 0 AS change, community, compound FROM compound_pairs WHERE NOT in_before
    UNION ALL SELECT 1, community, compound FROM compound_pairs WHERE NOT in_after
    UNION ALL SELECT 2, community, compound FROM compound_pairs
        WHERE in_before AND in_after AND committee_after AND NOT committee_before
    UNION ALL SELECT 3, community, compound FROM compound_pairs
        WHERE in_before AND in_after AND committee_before AND NOT committee_after
    UNION ALL SELECT 4, community, compound FROM compound_pairs
        WHERE in_before AND in_after AND party_after AND NOT party_before
    UNION ALL SELECT 5, community, compound FROM compound_pairs
        WHERE in_before AND in_after AND party_before AND NOT party_after
    UNION ALL SELECT 6, community, '' FROM community_pairs WHERE NOT in_before
    UNION ALL SELECT 7, community, '' FROM community_pairs WHERE NOT in_after
    UNION ALL SELECT 8, community, '' FROM community_pairs WHERE in_before AND in_after AND epmc_after AND NOT epmc_before
    UNION ALL SELECT 9, community, '' FROM community_pairs WHERE in_before AND in_after AND epmc_before AND NOT epmc_after
)
SELECT change, community, compound FROM changes ORDER BY change, community, compound;
