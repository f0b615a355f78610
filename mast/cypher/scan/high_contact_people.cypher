// High-contact individuals: people with between $min and $max events of one kind of
// agency in a window, e.g. 16–25 health attendances.
// @param agency_kind string = health
// @param from datetime = -365d
// @param to datetime = now
// @param min int = 16
// @param max int = 25
// @roles investigator analyst reviewer
MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE g.kind = $agency_kind AND e.occurred_at >= $from AND e.occurred_at < $to
WITH p, count(DISTINCT e) AS events
WHERE events >= $min AND events <= $max
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.dob AS dob, events
ORDER BY events DESC, person_id
