// Weekly activity: events per week by kind of agency, across the region — the dashboard's
// trend line. `peaks_and_troughs` breaks the same counts down by category and area.
// @summary Events per week by kind of agency across the region: the dashboard's trend line.
// @param from datetime = -365d
// @param to datetime = now
// @roles practitioner investigator analyst reviewer
MATCH (e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE e.occurred_at >= $from AND e.occurred_at < $to
RETURN e.week AS week, g.kind AS agency_kind, count(e) AS events
ORDER BY week, agency_kind
