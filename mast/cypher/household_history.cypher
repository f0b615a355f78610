// Household and family over time: everyone RELATED to the person, with the kind of link,
// its period and its evidence. `kind` says what `other` is to `person` (a household
// member, a mother, a child ...), as the recording agency stated it.
// @param person_id string
// @roles practitioner investigator reviewer analyst
MATCH (a:`Person`)-[r:`RELATED`]->(b:`Person`)
WHERE a.person_id = $person_id OR b.person_id = $person_id
RETURN a.person_id AS person, r.kind AS kind, b.person_id AS other,
       b.given_name AS other_given_name, b.family_name AS other_family_name, b.dob AS other_dob,
       r.valid_from AS valid_from, r.valid_to AS valid_to, r.evidence AS evidence
ORDER BY valid_from, person, other, kind
