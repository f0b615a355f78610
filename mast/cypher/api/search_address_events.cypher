// Each address's events and the latest of them: what a place hit shows.
// @roles system
MATCH (a:`Address`)<-[:`AT`]-(e:`Event`)
RETURN a.address_id AS address_id, max(e.occurred_at) AS last, count(DISTINCT e) AS events
