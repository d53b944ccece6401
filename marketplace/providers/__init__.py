"""The providers domain."""
