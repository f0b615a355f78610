// One person's move from children's to adult services: their last children's social care
// contact before 18 and first adult social care contact from 18.
// @param person_id string
// @roles system
MATCH (p:`Person` {person_id: $person_id})<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(c:`Event`)-[:`BY`]->(:`Agency` {kind: 'childrens_social_care'})
WHERE c.day < p.adult_on
WITH p, max(c.day) AS last_child_contact
MATCH (p)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(a:`Event`)-[:`BY`]->(:`Agency` {kind: 'adult_social_care'})
WHERE a.day >= p.adult_on
RETURN p.adult_on AS adult_on, last_child_contact, min(a.day) AS first_adult_contact
