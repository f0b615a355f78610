"""The GraphStore protocol and its Ladybug and Neo4j backends (issue 4)."""
