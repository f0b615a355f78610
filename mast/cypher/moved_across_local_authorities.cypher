// People and families who moved across local-authority boundaries: people who lived at
// addresses in more than one local authority during the window.
// @param from date = -365d
// @param to date = today
// @roles practitioner analyst reviewer
MATCH (p:`Person`)-[l:`LIVED_AT`]->(:`Address`)-[:`IN`]->(la:`LocalAuthority`)
WHERE l.valid_to >= $from AND l.valid_from <= $to
WITH p, count(DISTINCT la.name) AS authorities
WHERE authorities > 1
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.dob AS dob, authorities
ORDER BY person_id
