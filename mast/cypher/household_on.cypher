// Household on a date: who lived at the person's address(es) on that day, by the stays
// the agencies' records show (LIVED_AT), the person included.
// @summary Who lived at the person's addresses on the day you choose, as the agencies' records
// @summary show it, the person included.
// @param person_id string
// @param day date = today
// @roles practitioner investigator reviewer analyst
MATCH (p:`Person` {person_id: $person_id})-[l:`LIVED_AT`]->(a:`Address`)
WHERE l.valid_from <= $day AND l.valid_to >= $day
MATCH (a)<-[m:`LIVED_AT`]-(q:`Person`)
WHERE m.valid_from <= $day AND m.valid_to >= $day
RETURN a.address_id AS address_id, a.line AS address, q.person_id AS person_id,
       q.given_name AS given_name, q.family_name AS family_name, q.dob AS dob,
       m.valid_from AS since, m.valid_to AS until
ORDER BY address_id, dob, person_id
