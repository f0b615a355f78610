// A person's partner records: what each agency wrote, and how each was linked.
// @param person_id string
// @roles system
MATCH (p:`Person` {person_id: $person_id})<-[x:`RESOLVES_TO`]-(r:`Record`)
OPTIONAL MATCH (r)-[:`IN_EVENT`]->(e:`Event`)
RETURN r.record_id AS record_id, r.feed AS feed, e.agency AS agency,
       r.source_person_id AS source_person_id, r.given_name AS given_name,
       r.family_name AS family_name, r.dob AS dob, r.sex AS sex,
       r.address_text AS address_text, r.postcode AS postcode, r.role AS role,
       e.occurred_at AS occurred_at, x.score AS score, x.decided_by AS decided_by
ORDER BY occurred_at, record_id
