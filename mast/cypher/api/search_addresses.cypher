// Every address: what the API's address search indexes.
// @roles system
MATCH (a:`Address`)
RETURN a.address_id AS address_id, a.line AS line, a.postcode AS postcode, a.town AS town,
       a.local_authority AS local_authority, a.premises_type AS premises_type
