// Transitions from children's to adult services: people known to children's social care
// before their 18th birthday and to adult social care on or after it.
// @param from datetime = -365d
// @param to datetime = now
// @roles practitioner analyst reviewer
MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(c:`Event`)-[:`BY`]->(:`Agency` {kind: 'childrens_social_care'})
WHERE c.day < p.adult_on AND c.occurred_at >= $from AND c.occurred_at < $to
WITH DISTINCT p
MATCH (p)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(a:`Event`)-[:`BY`]->(:`Agency` {kind: 'adult_social_care'})
WHERE a.day >= p.adult_on AND a.occurred_at >= $from AND a.occurred_at < $to
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.dob AS dob, p.adult_on AS adult_on, min(a.day) AS first_adult_contact
ORDER BY person_id
