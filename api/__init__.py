"""The REST API /api/v1 for agency systems: FastAPI routes, API-key auth, problem+json."""
