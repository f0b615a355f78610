// Known to every kind of agency in $known but to none in $not_known, in a window: e.g.
// known to children's social care and health but not to the police.
// @param known strings = childrens_social_care,health
// @param not_known strings = police
// @param from datetime = -365d
// @param to datetime = now
// @roles investigator analyst reviewer
UNWIND $known AS k
MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE g.kind = k AND e.occurred_at >= $from AND e.occurred_at < $to
WITH p, count(DISTINCT k) AS kinds
WHERE kinds = size($known)
  AND NOT EXISTS {
    MATCH (p)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(z:`Event`)-[:`BY`]->(y:`Agency`)
    WHERE y.kind IN $not_known AND z.occurred_at >= $from AND z.occurred_at < $to
  }
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.dob AS dob
ORDER BY person_id
