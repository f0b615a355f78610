// High-contact individuals: people with between $min and $max events of one kind of
// agency in a window, e.g. 16–25 health attendances.
// @summary People with a number of events from one kind of agency within the range you choose, in
// @summary a time window: for example, 16 to 25 health attendances.
// @param agency_kind string = health
// @param from datetime = -365d
// @param to datetime = now
// @param min int = 16
// @param max int = 25
// @roles investigator analyst reviewer

// The whole months of the window add up the people's tallies; only the events of the
// part-months at either end are walked (scan/high_contact_people.cypher walks them all).
OPTIONAL MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE g.kind = $agency_kind AND e.occurred_at >= $from AND e.occurred_at < $to
  AND (e.occurred_at < $whole_from OR e.occurred_at >= $whole_to)
WITH p.person_id AS id, count(DISTINCT e) AS n
WITH collect({id: id, n: n}) AS edges
OPTIONAL MATCH (t:`PersonTally`)
WHERE t.agency_kind = $agency_kind AND t.month >= $whole_from AND t.month < $whole_to
WITH edges, collect({id: t.person_id, n: t.events}) AS months
UNWIND months + edges AS c
WITH c.id AS id, sum(c.n) AS events
WHERE events >= $min AND events <= $max
MATCH (p:`Person` {person_id: id})
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.dob AS dob, events
ORDER BY events DESC, person_id
