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
