// Person chronology: every event of one person, from every agency, in date order.
// Each row is one event with the agency, what kind it was, the person's role in it and
// where it happened; `record_id` leads to the partner's own record, `score` is the match
// weight that linked it (none for a ruling or a partner's own id).
// @summary Every event of one person, from every agency, in date order: the agency, the kind of
// @summary event, the person's role and where it happened, with how strongly the record was
// @summary matched to them.
// @param person_id string
// @param from datetime = -365d
// @param to datetime = now
// @roles practitioner investigator reviewer analyst
MATCH (p:`Person` {person_id: $person_id})<-[x:`RESOLVES_TO`]-(r:`Record`)-[:`IN_EVENT`]->(e:`Event`)
WHERE e.occurred_at >= $from AND e.occurred_at < $to
OPTIONAL MATCH (e)-[:`BY`]->(g:`Agency`)
OPTIONAL MATCH (e)-[:`AT`]->(a:`Address`)
RETURN e.occurred_at AS occurred_at, g.name AS agency, g.kind AS agency_kind, e.kind AS kind,
       e.category AS category, r.role AS role, e.ref AS ref, a.address_id AS address_id,
       a.line AS address, r.record_id AS record_id, x.score AS score
ORDER BY occurred_at, ref, record_id
