-- name: compound_changes
-- Compounds of two reports side by side, matched by community and compound name.
WITH before AS (
    SELECT community, compound, has_committee, committee_party_org FROM compounds WHERE upload_id = $previous
), after AS (
    SELECT community, compound, has_committee, committee_party_org FROM compounds WHERE upload_id = $latest
)
SELECT coalesce(a.community, b.community) AS community, coalesce(a.compound, b.compound) AS compound,
       b.compound AS in_before, a.compound AS in_after,
       b.has_committee AS committee_before, a.has_committee AS committee_after,
       b.has_committee AND b.committee_party_org AS party_before, a.has_committee AND a.committee_party_org AS party_after
FROM before b FULL OUTER JOIN after a ON a.community = b.community AND a.compound = b.compound
ORDER BY community, compound;

-- name: community_changes
WITH before AS (SELECT community, has_epmc FROM communities WHERE upload_id = $previous),
     after AS (SELECT community, has_epmc FROM communities WHERE upload_id = $latest)
SELECT coalesce(a.community, b.community) AS community, b.community AS in_before, a.community AS in_after,
       b.has_epmc AS epmc_before, a.has_epmc AS epmc_after
FROM before b FULL OUTER JOIN after a ON a.community = b.community
ORDER BY community;

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
