"""Search: index settings, documents, the outbox and query building (only package that imports meilisearch)."""
