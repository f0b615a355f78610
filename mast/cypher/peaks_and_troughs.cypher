// Peaks and troughs: events per week by kind of agency, category and local authority.
// Empty $agency_kinds counts every agency.
// @summary Events per week by kind of agency, category and local authority. Leave the agencies
// @summary empty to count every agency.
// @param from datetime = -365d
// @param to datetime = now
// @param agency_kinds strings =
// @roles analyst reviewer
MATCH (e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE e.occurred_at >= $from AND e.occurred_at < $to
  AND (size($agency_kinds) = 0 OR g.kind IN $agency_kinds)
OPTIONAL MATCH (e)-[:`AT`]->(:`Address`)-[:`IN`]->(la:`LocalAuthority`)
RETURN e.week AS week, g.kind AS agency_kind, e.category AS category, la.name AS area,
       count(e) AS events
ORDER BY week, agency_kind, category, area
