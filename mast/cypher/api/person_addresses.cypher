// Where a person lived, over time, with the local authority and the feeds that say so.
// @param person_id string
// @roles system
MATCH (p:`Person` {person_id: $person_id})-[l:`LIVED_AT`]->(a:`Address`)
OPTIONAL MATCH (a)-[:`IN`]->(la:`LocalAuthority`)
RETURN a.address_id AS address_id, a.line AS line, a.postcode AS postcode,
       la.name AS local_authority, l.valid_from AS valid_from, l.valid_to AS valid_to,
       l.sources AS sources
ORDER BY valid_from, address_id
