// Shortest connection between two people over family, household and shared addresses
// (RELATED and LIVED_AT), up to six steps; `path` lists the people and places on it and
// `links` the links between them, in order.
// Neo4j form; the embedded form is shortest_connection.ladybug.cypher.
// @summary The shortest connection between two people through family, household and shared
// @summary addresses, up to six steps, with each link on the way.
// @param from_person string
// @param to_person string
// @roles investigator reviewer analyst
// @compare hops
MATCH (a:`Person` {person_id: $from_person}), (b:`Person` {person_id: $to_person})
MATCH path = shortestPath((a)-[:`RELATED`|`LIVED_AT`*..6]-(b))
RETURN length(path) AS hops, nodes(path) AS path, relationships(path) AS links
