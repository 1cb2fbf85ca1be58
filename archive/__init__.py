"""The archive: records, manifests and packages in an ObjectStore, signatures, the audit trail."""
