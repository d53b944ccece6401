"""The reviews domain."""
