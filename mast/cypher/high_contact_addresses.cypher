// High-contact addresses: addresses with between $min and $max events of one kind of
// agency in a window, e.g. addresses with 11–15 police incidents. An empty $categories
// counts every category.
// @summary Addresses with a number of events from one kind of agency within the range you choose,
// @summary in a time window: for example, addresses with 11 to 15 police incidents. Leave the
// @summary categories empty to count every category.
// @param agency_kind string = police
// @param from datetime = -365d
// @param to datetime = now
// @param min int = 11
// @param max int = 15
// @param categories strings =
// @roles investigator analyst reviewer

// The whole months of the window add up the addresses' tallies; only the events of the
// part-months at either end are walked ($whole_from and $whole_to are derived from the
// window; scan/high_contact_addresses.cypher walks every event and answers the same).
OPTIONAL MATCH (a:`Address`)<-[:`AT`]-(e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE g.kind = $agency_kind AND e.occurred_at >= $from AND e.occurred_at < $to
  AND (e.occurred_at < $whole_from OR e.occurred_at >= $whole_to)
  AND (size($categories) = 0 OR e.category IN $categories)
WITH collect({id: a.address_id, n: 1}) AS edges
OPTIONAL MATCH (t:`AddressTally`)
WHERE t.agency_kind = $agency_kind AND t.month >= $whole_from AND t.month < $whole_to
  AND (size($categories) = 0 OR t.category IN $categories)
WITH edges, collect({id: t.address_id, n: t.events}) AS months
UNWIND months + edges AS c
WITH c.id AS id, sum(c.n) AS events
WHERE events >= $min AND events <= $max
MATCH (a:`Address` {address_id: id})
RETURN a.address_id AS address_id, a.line AS address, a.postcode AS postcode,
       a.local_authority AS local_authority, a.premises_type AS premises_type, events
ORDER BY events DESC, address_id
