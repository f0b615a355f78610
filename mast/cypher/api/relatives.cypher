// A person's stated and household relationships, both ways: `outward` is true when the
// kind says what the other person is to this one (mother: the other is their mother).
// @param person_id string
// @roles system
MATCH (p:`Person` {person_id: $person_id})-[r:`RELATED`]->(q:`Person`)
RETURN q.person_id AS person_id, q.given_name AS given_name, q.family_name AS family_name,
       q.dob AS dob, r.kind AS kind, true AS outward, r.valid_from AS valid_from,
       r.valid_to AS valid_to, r.evidence AS evidence
UNION ALL
MATCH (p:`Person` {person_id: $person_id})<-[r:`RELATED`]-(q:`Person`)
RETURN q.person_id AS person_id, q.given_name AS given_name, q.family_name AS family_name,
       q.dob AS dob, r.kind AS kind, false AS outward, r.valid_from AS valid_from,
       r.valid_to AS valid_to, r.evidence AS evidence
