// Every stay at an address: a person hit's last known address, a place hit's residents.
// @roles system
MATCH (p:`Person`)-[l:`LIVED_AT`]->(a:`Address`)
RETURN p.person_id AS person_id, a.address_id AS address_id, l.valid_from AS valid_from,
       l.valid_to AS valid_to
