"""Interface strings of the map and charts views; French in ``locale/fr/LC_MESSAGES/map_ui.po``."""

from datami_py.i18n import message

KEY_MAP = message("ui.key.map", "Map")
KEY_CHARTS = message("ui.key.charts", "Charts")
KEY_ZOOM_IN = message("ui.key.zoom-in", "Zoom in")
KEY_ZOOM_OUT = message("ui.key.zoom-out", "Zoom out")
KEY_RESET = message("ui.key.reset-map", "Reset the map")
KEY_PAN = message("ui.key.pan", "Move the map")
KEY_POINTS_LAYER = message("ui.key.points-layer", "Show points")
KEY_DEPARTEMENTS_LAYER = message("ui.key.departements-layer", "Show départements")
KEY_NEXT_POINT = message("ui.key.next-point", "Next point")
KEY_PREVIOUS_POINT = message("ui.key.previous-point", "Previous point")
KEY_NEXT_CHART = message("ui.key.next-chart", "Next chart")
KEY_PREVIOUS_CHART = message("ui.key.previous-chart", "Previous chart")
KEY_SCROLL_PANEL = message("ui.key.scroll-panel", "Scroll the side panel")

MAP_LOADING = message("ui.map.loading", "Placing the rows on the map…")
MAP_ZOOM = message("ui.map.zoom", "Zoom {zoom}")
MAP_LAYERS = message("ui.map.layers", "Points: {points} · départements: {departements}")
MAP_ON = message("ui.map.on", "on")
MAP_OFF = message("ui.map.off", "off")
MAP_SELECTED = message("ui.map.selected", "Selected: {title} (row {row}, {departement})")
MAP_NOTHING_SELECTED = message("ui.map.nothing-selected", "n or Tab selects a point, Enter opens its card.")
MAP_NO_DEPARTEMENT = message("ui.map.no-departement", "outside the départements")
MAP_COUNTS_TITLE = message("ui.map.counts-title", "Départements with rows")
MAP_NO_COUNTS = message("ui.map.no-counts", "No row in a département.")
MAP_UNPLACED_TITLE = message("ui.map.unplaced-title", "Rows without position")
MAP_UNPLACED_ROW = message("ui.map.unplaced-row", "Row {row} ({key}): {reason}")
MAP_UNPLACED_MORE = message("ui.map.unplaced-more", "… and {count} more; search or filter to see them.")

CHARTS_NONE = message("ui.charts.none", "This table has no charts. Add them to the resource settings (x-datami.charts).")
CHARTS_POSITION = message("ui.charts.position", "Chart {number} of {count} · n or → next, p or ← previous")
CHARTS_TOTAL = message("ui.charts.total", "{rows} row(s) counted, {empty} without a value.")
CHARTS_SEVERAL_CODES = message(
    "ui.charts.several-codes",
    "A row with several codes counts once for each, so the counts add up to {codes} and the shares to more than 100 %.",
)
CHARTS_NO_DATA = message("ui.charts.no-data", "No row has a value in this field.")
CHARTS_KIND_BARS = message("ui.charts.kind-bars", "bars")
CHARTS_KIND_DONUT = message("ui.charts.kind-donut", "donut")
CHARTS_KIND_TREEMAP = message("ui.charts.kind-treemap", "treemap")
