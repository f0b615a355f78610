// Non-residential addresses (pubs, shops, hostels, hospitals ...) with the most events of
// one kind of agency, by category.
// @param agency_kind string = police
// @param from datetime = -365d
// @param to datetime = now
// @param limit int = 50
// @roles investigator analyst

// The whole months of the window add up the addresses' tallies; only the events of the
// part-months at either end are walked (scan/non_residential_hotspots.cypher walks them all).
OPTIONAL MATCH (a:`Address`)<-[:`AT`]-(e:`Event`)-[:`BY`]->(g:`Agency`)
WHERE g.kind = $agency_kind AND a.residential = false
  AND e.occurred_at >= $from AND e.occurred_at < $to
  AND (e.occurred_at < $whole_from OR e.occurred_at >= $whole_to)
WITH collect({id: a.address_id, category: e.category, n: 1}) AS edges
OPTIONAL MATCH (t:`AddressTally`)
WHERE t.agency_kind = $agency_kind AND t.residential = false
  AND t.month >= $whole_from AND t.month < $whole_to
WITH edges, collect({id: t.address_id, category: t.category, n: t.events}) AS months
UNWIND months + edges AS c
WITH c.id AS id, c.category AS category, sum(c.n) AS events
MATCH (a:`Address` {address_id: id})
WHERE a.residential = false
RETURN a.address_id AS address_id, a.line AS address, a.premises_type AS premises_type,
       category, events
ORDER BY events DESC, address_id, category
LIMIT $limit
