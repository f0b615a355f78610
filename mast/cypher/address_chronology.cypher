// Address chronology: every event recorded at one address, in date order, with the
// people each involved (and the records that tie them to it, so a record reported as not
// its person is flagged where it shows).
// @param address_id string
// @param from datetime = -365d
// @param to datetime = now
// @roles practitioner investigator reviewer analyst
MATCH (a:`Address` {address_id: $address_id})<-[:`AT`]-(e:`Event`)
WHERE e.occurred_at >= $from AND e.occurred_at < $to
OPTIONAL MATCH (e)-[:`BY`]->(g:`Agency`)
OPTIONAL MATCH (e)<-[:`IN_EVENT`]-(r:`Record`)-[:`RESOLVES_TO`]->(p:`Person`)
RETURN e.occurred_at AS occurred_at, g.name AS agency, g.kind AS agency_kind, e.kind AS kind,
       e.category AS category, e.ref AS ref, collect(DISTINCT p.person_id) AS people,
       collect(DISTINCT r.record_id) AS records
ORDER BY occurred_at, ref
