"""Finding records: text extraction, the SearchIndex and AuditIndex protocols, folding."""
