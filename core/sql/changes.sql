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

-- name: change_compounds
-- The compounds of two reports, as report_changes matches them (by community and compound name).
SELECT upload_id, community, compound, has_committee, committee_party_org
FROM compounds
WHERE upload_id IN ($previous, $latest);

-- name: change_communities
-- The communities of two reports, as report_changes matches them (by name).
SELECT upload_id, community, has_epmc
FROM communities
WHERE upload_id IN ($previous, $latest);
