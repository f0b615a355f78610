// The events one person shared with others (a network's "same event" links), with the
// agency, day and category of each. Busy events are hubs, not connections, as in `network`.
// @param person_id string
// @param max_event_records int = 6
// @roles system
MATCH (p:`Person` {person_id: $person_id})<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`)
      <-[:`IN_EVENT`]-(:`Record`)-[:`RESOLVES_TO`]->(q:`Person`)
WHERE q.person_id <> $person_id AND e.records <= $max_event_records
OPTIONAL MATCH (e)-[:`BY`]->(g:`Agency`)
RETURN DISTINCT q.person_id AS person_id, e.event_id AS event_id, g.name AS agency,
       e.kind AS kind, e.category AS category, e.occurred_at AS occurred_at
ORDER BY person_id, occurred_at
