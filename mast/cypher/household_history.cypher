// Household and family over time: everyone RELATED to the person, with the kind of link,
// its period and its evidence. Each row reads "`other` is `person`'s `kind`" (a household
// member, a mother, a child ...), as the recording agency stated it; rows come in no
// particular order.
// @summary Everyone linked to the person as family or household over time: the kind of link, when
// @summary it held, and which agency recorded it.
// @param person_id string
// @roles practitioner investigator reviewer analyst
MATCH (a:`Person` {person_id: $person_id})-[r:`RELATED`]->(b:`Person`)
RETURN a.person_id AS person, r.kind AS kind, b.person_id AS other,
       b.given_name AS other_given_name, b.family_name AS other_family_name, b.dob AS other_dob,
       r.valid_from AS valid_from, r.valid_to AS valid_to, r.evidence AS evidence
UNION ALL
MATCH (a:`Person`)-[r:`RELATED`]->(b:`Person` {person_id: $person_id})
RETURN a.person_id AS person, r.kind AS kind, b.person_id AS other,
       b.given_name AS other_given_name, b.family_name AS other_family_name, b.dob AS other_dob,
       r.valid_from AS valid_from, r.valid_to AS valid_to, r.evidence AS evidence
