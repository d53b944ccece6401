"""Reference tables: municipalities and postcodes as rows, so that SQL (reports, open data,
foreign keys from outcomes) can join on them. Filled from the shipped CSVs by `sync_reference_tables`."""
from piccolo.columns import Integer, Real, Varchar
from piccolo.table import Table


class Municipality(Table):
    """One of the 98 municipalities."""

    code = Integer(primary_key=True, help_text="Official 3-digit municipality code")
    name = Varchar(length=100)
    region_code = Integer()
    region_name = Varchar(length=100)
    lat = Real()
    lon = Real()


class Postcode(Table):
    """A postcode with its main municipality and an approximate centre."""

    code = Varchar(length=4, primary_key=True)
    name = Varchar(length=100)
    municipality_code = Integer(index=True)
    lat = Real()
    lon = Real()
