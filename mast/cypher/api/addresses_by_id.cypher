// Addresses by their ids, each looked up by key.
// @param ids strings
// @roles system
UNWIND $ids AS k
MATCH (a:`Address` {address_id: k})
RETURN a.address_id AS address_id, a.uprn AS uprn, a.line AS line, a.postcode AS postcode,
       a.town AS town, a.local_authority AS local_authority, a.premises_type AS premises_type,
       a.residential AS residential
