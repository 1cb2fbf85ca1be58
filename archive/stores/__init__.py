"""ObjectStore backends: a local folder (the embedded default) and MinIO."""
