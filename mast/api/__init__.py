"""FastAPI app, GraphQL schema, auth and audit."""
