"""The enrolments domain."""
