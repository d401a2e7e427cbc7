"""Maps of a table's rows: positions, counts per French département, and map files.

geopandas and matplotlib are imported only inside the functions that need them, so that
importing this package (or :mod:`datami_py.session`) stays cheap and works without the
``maps`` extra.
"""

from datami_py.geo.departements import departement_counts, departement_of_rows, departement_outlines
from datami_py.geo.export import export_geojson, export_html
from datami_py.geo.render import export_png
from datami_py.geo.points import Point, PointSet, Unplaced, map_coordinate_fields, points


__all__ = [
    "Point",
    "PointSet",
    "Unplaced",
    "departement_counts",
    "departement_of_rows",
    "departement_outlines",
    "export_geojson",
    "export_html",
    "export_png",
    "map_coordinate_fields",
    "points",
]
