// Events at an address by agency and category during a window.
// @param address_id string
// @param from datetime = -365d
// @param to datetime = now
// @roles system
MATCH (a:`Address` {address_id: $address_id})<-[:`AT`]-(e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE e.occurred_at >= $from AND e.occurred_at < $to
RETURN g.name AS agency, e.category AS category, count(e) AS events
ORDER BY events DESC, agency, category
