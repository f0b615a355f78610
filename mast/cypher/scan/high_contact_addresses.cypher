// High-contact addresses: addresses with between $min and $max events of one kind of
// agency in a window, e.g. addresses with 11–15 police incidents. An empty $categories
// counts every category.
// @param agency_kind string = police
// @param from datetime = -365d
// @param to datetime = now
// @param min int = 11
// @param max int = 15
// @param categories strings =
// @roles investigator analyst reviewer
MATCH (a:`Address`)<-[:`AT`]-(e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE g.kind = $agency_kind AND e.occurred_at >= $from AND e.occurred_at < $to
  AND (size($categories) = 0 OR e.category IN $categories)
WITH a, count(e) AS events
WHERE events >= $min AND events <= $max
RETURN a.address_id AS address_id, a.line AS address, a.postcode AS postcode,
       a.local_authority AS local_authority, a.premises_type AS premises_type, events
ORDER BY events DESC, address_id
