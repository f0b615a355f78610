// Transitions from children's to adult services: people known to children's social care
// before their 18th birthday and to adult social care on or after it.
// @param from datetime = -365d
// @param to datetime = now
// @roles practitioner analyst reviewer

// The whole months of the window come from the people's tallies (kept apart before and
// after the 18th birthday, with the earliest day of each); only the events of the
// part-months at either end are walked (scan/transitions_to_adult_services.cypher walks
// them all). The events are walked first: carried through the walk, the tallies' list
// costs Ladybug far more than the walk itself.
OPTIONAL MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE ((g.kind = 'childrens_social_care' AND e.day < p.adult_on)
       OR (g.kind = 'adult_social_care' AND e.day >= p.adult_on))
  AND e.occurred_at >= $from AND e.occurred_at < $to
  AND (e.occurred_at < $whole_from OR e.occurred_at >= $whole_to)
WITH collect({id: p.person_id, kind: g.kind, day: e.day}) AS edges
OPTIONAL MATCH (t:`PersonTally`)
WHERE ((t.agency_kind = 'childrens_social_care' AND t.adult = false)
       OR (t.agency_kind = 'adult_social_care' AND t.adult = true))
  AND t.month >= $whole_from AND t.month < $whole_to
WITH edges, collect({id: t.person_id, kind: t.agency_kind, day: t.first_day}) AS months
UNWIND months + edges AS c
WITH c.id AS id, count(CASE WHEN c.kind = 'childrens_social_care' THEN 1 END) AS before,
     min(CASE WHEN c.kind = 'adult_social_care' THEN c.day END) AS first_adult_contact
WHERE before > 0 AND first_adult_contact IS NOT NULL
MATCH (p:`Person` {person_id: id})
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.dob AS dob, p.adult_on AS adult_on, first_adult_contact
ORDER BY person_id
