// Non-residential addresses (pubs, shops, hostels, hospitals ...) with the most events of
// one kind of agency, by category.
// @param agency_kind string = police
// @param from datetime = -365d
// @param to datetime = now
// @param limit int = 50
// @roles investigator analyst
MATCH (a:`Address`)<-[:`AT`]-(e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE g.kind = $agency_kind AND a.residential = false
  AND e.occurred_at >= $from AND e.occurred_at < $to
RETURN a.address_id AS address_id, a.line AS address, a.premises_type AS premises_type,
       e.category AS category, count(e) AS events
ORDER BY events DESC, address_id, category
LIMIT $limit
