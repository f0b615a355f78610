"""Named, parameterised .cypher queries that run on every graph backend."""
