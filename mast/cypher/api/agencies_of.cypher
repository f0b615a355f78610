// The agencies involved with one person: their events, and the last, per agency. (One
// person a query: on Ladybug, UNWIND over many people before a long pattern is 80x slower.)
// @param person_id string
// @roles system
MATCH (p:`Person` {person_id: $person_id})<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`)-[:`BY`]->(g:`Agency`)
RETURN g.name AS agency, g.agency_id AS agency_id, g.kind AS agency_kind, count(DISTINCT e) AS events,
       max(e.occurred_at) AS last_event
ORDER BY last_event DESC, agency
