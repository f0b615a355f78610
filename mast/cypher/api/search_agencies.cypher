// The agencies involved with each person and their latest event: the chips a search hit
// shows.
// @roles system
MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`)-[:`BY`]->(g:`Agency`)
RETURN p.person_id AS person_id, g.name AS agency, g.kind AS agency_kind,
       max(e.occurred_at) AS last
