// Shortest connection between two people: the embedded (Ladybug) form of
// shortest_connection.cypher, whose header it shares.
MATCH path = (a:`Person` {person_id: $from_person})-[:`RELATED`|`LIVED_AT`* SHORTEST 1..6]-(b:`Person` {person_id: $to_person})
RETURN length(path) AS hops, nodes(path) AS path, rels(path) AS links
