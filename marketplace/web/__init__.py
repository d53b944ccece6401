"""Shared web plumbing: templates, language, error pages and JSON errors, static files."""
