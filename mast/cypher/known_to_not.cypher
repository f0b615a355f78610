// Known to every kind of agency in $known but to none in $not_known, in a window: e.g.
// known to children's social care and health but not to the police.
// @summary People known to every kind of agency in the first list and to none in the second, in a
// @summary time window: for example, known to children's social care and health but not to the
// @summary police.
// @param known strings = childrens_social_care,health
// @param not_known strings = police
// @param from datetime = -365d
// @param to datetime = now
// @roles investigator analyst reviewer

// The kinds each person is known to come from their tallies of the window's whole months
// and the events of the part-months at either end (scan/known_to_not.cypher walks them all).
OPTIONAL MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE (g.kind IN $known OR g.kind IN $not_known)
  AND e.occurred_at >= $from AND e.occurred_at < $to
  AND (e.occurred_at < $whole_from OR e.occurred_at >= $whole_to)
WITH collect({id: p.person_id, kind: g.kind}) AS edges
OPTIONAL MATCH (t:`PersonTally`)
WHERE (t.agency_kind IN $known OR t.agency_kind IN $not_known)
  AND t.month >= $whole_from AND t.month < $whole_to
WITH edges, collect({id: t.person_id, kind: t.agency_kind}) AS months
UNWIND months + edges AS c
WITH c.id AS id, count(DISTINCT CASE WHEN c.kind IN $known THEN c.kind END) AS kinds,
     count(CASE WHEN c.kind IN $not_known THEN 1 END) AS unwanted
WHERE size($known) > 0 AND kinds = size($known) AND unwanted = 0
MATCH (p:`Person` {person_id: id})
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.dob AS dob
ORDER BY person_id
