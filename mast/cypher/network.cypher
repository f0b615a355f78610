// Network around a person: people up to two RELATED links away, and people who shared an
// event with them. Events with more than $max_event_records records (a festival, a busy
// ward) are hubs, not connections, and are left out.
// @summary People up to two family or household links away from the person, and people who were
// @summary at the same events. Very large events (a festival, a busy ward) are left out.
// @param person_id string
// @param max_event_records int = 6
// @roles investigator reviewer analyst
MATCH path = (p:`Person` {person_id: $person_id})-[:`RELATED`*1..2]-(q:`Person`)
WHERE q.person_id <> $person_id
RETURN q.person_id AS person_id, q.given_name AS given_name, q.family_name AS family_name,
       q.dob AS dob, 'related' AS via, min(length(path)) AS hops
UNION
MATCH (p:`Person` {person_id: $person_id})<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`)
      <-[:`IN_EVENT`]-(:`Record`)-[:`RESOLVES_TO`]->(q:`Person`)
WHERE q.person_id <> $person_id AND e.records <= $max_event_records
RETURN q.person_id AS person_id, q.given_name AS given_name, q.family_name AS family_name,
       q.dob AS dob, 'shared event' AS via, 1 AS hops
