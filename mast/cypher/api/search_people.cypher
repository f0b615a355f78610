// Everyone, with the postcodes they lived at: what the API's person search indexes.
// @roles system
MATCH (p:`Person`)
OPTIONAL MATCH (p)-[:`LIVED_AT`]->(a:`Address`)
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.other_names AS other_names, p.dob AS dob, collect(DISTINCT a.postcode) AS postcodes
