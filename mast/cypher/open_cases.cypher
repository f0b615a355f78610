// Open cases about a person, with the lead worker's contact details and team.
// @param person_id string
// @roles practitioner investigator reviewer
MATCH (c:`Case`)-[:`ABOUT`]->(p:`Person` {person_id: $person_id})
WHERE c.status = 'open'
RETURN c.case_id AS case_id, c.agency AS agency, c.kind AS kind, c.opened AS opened,
       c.lead_name AS lead_name, c.lead_phone AS lead_phone, c.lead_email AS lead_email,
       c.team AS team
ORDER BY opened DESC, case_id
