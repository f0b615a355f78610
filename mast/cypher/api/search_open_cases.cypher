// How many open cases each person has: the flag a search hit shows.
// @roles system
MATCH (c:`Case`)-[:`ABOUT`]->(p:`Person`)
WHERE c.status = 'open'
RETURN p.person_id AS person_id, count(DISTINCT c) AS open
