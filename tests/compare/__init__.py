"""Tests of the comparison page (issue 6)."""
