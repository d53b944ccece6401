from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Date
from piccolo.columns.column_types import Integer
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table

ID = "2026-11-23T13:03:50:950962"
VERSION = "1.38.0"
DESCRIPTION = "Enrolment first-contact promise, switch history and one active enrolment per target group"

# At most one active enrolment per citizen and target group, guaranteed by the database (a partial
# unique index: the same statement works on SQLite and PostgreSQL). Written by hand: Piccolo's auto
# migrations do not know partial indexes. The status values are Enrolment.Status's active ones.
ACTIVE_INDEX = "enrolment_one_active_per_target_group"


class RawTable(Table):
    pass


async def create_active_index():
    await RawTable.raw(
        f"CREATE UNIQUE INDEX {ACTIVE_INDEX} ON enrolment (citizen, target_group) "
        "WHERE status IN ('chosen', 'accepted', 'started')"
    )


async def drop_active_index():
    await RawTable.raw(f"DROP INDEX IF EXISTS {ACTIVE_INDEX}")


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="marketplace", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Enrolment",
        tablename="enrolment",
        column_name="first_contact_by",
        db_column_name="first_contact_by",
        column_class_name="Date",
        column_class=Date,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="Enrolment",
        tablename="enrolment",
        column_name="switched_from",
        db_column_name="switched_from",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_raw(create_active_index)
    manager.add_raw_backwards(drop_active_index)

    return manager
