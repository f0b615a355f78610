"""The server: FastAPI app, GraphQL schema, sign-in, search, subject access and the web UI."""
