"""Reference data shipped with the product: municipalities, postcodes, target groups, services,
provider types, languages and age bands, with Danish and English labels."""
from marketplace.reference.catalog import (
    AGE_BANDS,
    LANGUAGES,
    OUTCOME_STATUSES,
    PROVIDER_TYPES,
    REGIONS,
    SERVICES,
    TARGET_GROUPS,
    Label,
    Municipality,
    Postcode,
    Service,
    municipalities,
    municipality,
    postcode,
    postcodes,
    resolve_place,
)

__all__ = [
    "AGE_BANDS", "LANGUAGES", "OUTCOME_STATUSES", "PROVIDER_TYPES", "REGIONS", "SERVICES", "TARGET_GROUPS",
    "Label", "Municipality", "Postcode", "Service", "municipalities", "municipality", "postcode",
    "postcodes", "resolve_place",
]
