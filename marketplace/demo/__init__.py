"""Demo data: a deterministic, realistic-looking marketplace (providers, listings, outcomes,
citizens, enrolments and reviews) for development, demonstrations and load tests.

`marketplace.demo.seed.generate` builds the rows without touching the database;
`marketplace.demo.seed.seed_demo` loads them once (``marketplace seed-demo``).
"""
