"""FastAPI app, GraphQL schema, auth and audit (issue 5)."""
