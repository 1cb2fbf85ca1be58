"""SearchIndex and AuditIndex backends: SQLite FTS5 (embedded) and Elasticsearch."""
