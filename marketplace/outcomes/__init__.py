"""The outcomes domain."""
