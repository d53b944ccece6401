"""Benchmarks for the portal (not tests: nothing here is timed in CI). See bench/README.md."""
