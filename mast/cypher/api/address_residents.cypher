// Who lived at an address during a window, by the stays the agencies' records show.
// @param address_id string
// @param from date = -365d
// @param to date = today
// @roles system
MATCH (a:`Address` {address_id: $address_id})<-[l:`LIVED_AT`]-(p:`Person`)
WHERE l.valid_to >= $from AND l.valid_from <= $to
RETURN p.person_id AS person_id, p.given_name AS given_name, p.family_name AS family_name,
       p.dob AS dob, l.valid_from AS valid_from, l.valid_to AS valid_to
ORDER BY valid_from, person_id
