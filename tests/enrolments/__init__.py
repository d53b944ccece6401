"""Tests of choosing, switching and the provider handling choices (issue 6)."""
