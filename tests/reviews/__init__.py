"""Tests of experiences: writing, moderation, replies, and the average in search (issue 6)."""
