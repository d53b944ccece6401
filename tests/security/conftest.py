"""Security probes that speak HTTP over a socket (schemathesis) use the browser tests' `portal`: the
portal served by uvicorn in a subprocess on this run's database and the test's index."""
from tests.browser.conftest import portal  # noqa: F401  (a fixture, re-exported for this package)
