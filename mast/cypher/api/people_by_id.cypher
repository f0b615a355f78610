// People by their ids, each looked up by key.
// @param ids strings
// @roles system
UNWIND $ids AS k
MATCH (p:`Person` {person_id: k})
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.other_names AS other_names, p.dob AS dob, p.sex AS sex, p.nhs_number AS nhs_number,
       p.first_seen AS first_seen, p.last_seen AS last_seen, p.records AS records
