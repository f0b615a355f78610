// Care leavers in custody: people recorded as care leavers (an event kind or a role in
// $leaver_kinds) who also have a custodial event (a kind in $custody_kinds). Kinds match
// without regard to case.
// @summary People recorded as care leavers who also have a record of being in custody.
// @param leaver_kinds strings = care leaver
// @param custody_kinds strings = custody - sentenced
// @roles practitioner analyst reviewer
MATCH (p:`Person`)<-[:`RESOLVES_TO`]-(r:`Record`)-[:`IN_EVENT`]->(e:`Event`)
WHERE toLower(e.kind) IN $leaver_kinds OR toLower(r.role) IN $leaver_kinds
WITH DISTINCT p
MATCH (p)<-[:`RESOLVES_TO`]-(:`Record`)-[:`IN_EVENT`]->(c:`Event`)
WHERE toLower(c.kind) IN $custody_kinds
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.dob AS dob, min(c.day) AS first_custody
ORDER BY person_id
