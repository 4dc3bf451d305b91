"""The index SQLite finds elders' homes by for the coverage map: the grid cell of their coordinates (1/100 of a
degree, about 1.1 km north-south), so that the homes near a provider are a few index lookups rather than a reading
of every elder once per provider (SQLite joins by nested loops only). PostgreSQL hashes the providers' cells and
reads the elders once, filtered by the officer's area first; given this index, it looked the cells up in it
instead (misled by its estimate of the cells' number) and read every elder of the city near a provider, whatever
the area: on SQLite only."""
from sqlalchemy import DDL, Integer, cast, event, func, literal_column

from ..elders.models import Elder

CELLS_PER_DEGREE = 100


def grid_cell(column):
    """The grid cell of a coordinate as SQL, written exactly as the index has it (the number is part of the SQL,
    not a parameter: a database uses an index on an expression only for that same expression)."""
    return cast(func.floor(column * literal_column(str(CELLS_PER_DEGREE))), Integer)


# Written as DDL rather than declared on the table: an index of one dialect only would otherwise be a difference
# between the models and the migrations on the other (the migration e7d2c5a8b4f1 creates it on SQLite alone).
elders_by_cell = DDL(f"CREATE INDEX ix_elders_grid_cell ON elders (CAST(floor(lat * {CELLS_PER_DEGREE}) AS INTEGER), "
                     f"CAST(floor(lng * {CELLS_PER_DEGREE}) AS INTEGER))").execute_if(dialect="sqlite")
event.listen(Elder.__table__, "after_create", elders_by_cell)
