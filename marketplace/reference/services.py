"""Use cases for reference data."""
from __future__ import annotations

from marketplace.db import write_transaction
from marketplace.reference import catalog
from marketplace.reference.tables import Municipality, Postcode


async def sync_reference_tables() -> int:
    """Make the reference tables equal to the shipped CSVs; return how many rows changed
    (0 on a second run)."""
    existing_m = {r["code"] for r in await Municipality.select(Municipality.code)}
    existing_p = {r["code"] for r in await Postcode.select(Postcode.code)}
    new_m = [m for c, m in catalog.municipalities().items() if c not in existing_m]
    new_p = [p for c, p in catalog.postcodes().items() if c not in existing_p]
    if not new_m and not new_p:
        return 0
    async with write_transaction():
        if new_m:
            await Municipality.insert(
                *[Municipality(code=m.code, name=m.name, region_code=m.region_code, region_name=m.region_name,
                               lat=m.lat, lon=m.lon) for m in new_m]
            )
        if new_p:
            await Postcode.insert(
                *[Postcode(code=p.code, name=p.name, municipality_code=p.municipality_code, lat=p.lat, lon=p.lon)
                  for p in new_p]
            )
    return len(new_m) + len(new_p)
