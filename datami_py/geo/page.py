"""HTML template of the interactive map page written by :func:`datami_py.geo.export.export_html`.

It is a Python string rather than a package data file so that no packaging rule can
leave it out. Placeholders are ``str.format`` fields, so literal braces are doubled. Text placed inside
the script (``legend_title``, ``points_label``, ``outlines_label``) must already be a
JavaScript string literal, such as the output of ``json.dumps``.
"""

# Subresource-integrity hashes of Leaflet 1.9.4 on unpkg, as published on
# https://leafletjs.com/download; a browser refuses a file that does not match.
LEAFLET_CSS_INTEGRITY = "sha256-p4NxAoJBhIIN+hmNHrzRCf9tD/miZyoHS5obTRR9BMY="
LEAFLET_JS_INTEGRITY = "sha256-20nQCchB9co0qIjJZRGuk2/Z9VM+kNiyxNV1lvTlZBo="

MAP_PAGE = """<!DOCTYPE html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{leaflet_css}" integrity="{css_integrity}" crossorigin="">
<script src="{leaflet_js}" integrity="{js_integrity}" crossorigin=""></script>
<style>
  html, body {{ margin: 0; height: 100%; font-family: sans-serif; }}
  header {{ padding: 0.5em 1em; }}
  header h1 {{ margin: 0; font-size: 1.3em; }}
  header p {{ margin: 0.2em 0 0; color: #555; font-size: 0.9em; }}
  #map {{ position: absolute; top: 4.5em; bottom: 0; left: 0; right: 0; background: #dfe9f0; }}
  .legend {{ background: white; padding: 0.5em 0.8em; line-height: 1.5em; border-radius: 4px; }}
  .legend i {{ display: inline-block; width: 1em; height: 1em; margin-right: 0.4em; vertical-align: middle; border: 1px solid #999; }}
</style>
</head>
<body>
<header>
  <h1>{title}</h1>
  <p>{unplaced} {attribution}</p>
</header>
<div id="map"></div>
<script type="application/json" id="map-data">{data}</script>
<script>
(function () {{
  var data = JSON.parse(document.getElementById("map-data").textContent);
  var map = L.map("map", {{ zoomSnap: 0.25 }});
  var outlines = L.geoJSON(data.departements, {{
    style: function (feature) {{
      return {{ color: "#004494", weight: 0.6, fillColor: feature.properties.color, fillOpacity: 0.7 }};
    }},
    onEachFeature: function (feature, layer) {{
      layer.bindTooltip(feature.properties.nom + " (" + feature.properties.code + "): " + feature.properties.count);
    }}
  }}).addTo(map);
  var points = L.geoJSON(data.points, {{
    pointToLayer: function (feature, latlng) {{
      return L.circleMarker(latlng, {{ radius: 5, color: "#ffffff", weight: 1, fillColor: data.pointColor, fillOpacity: 0.85 }});
    }},
    onEachFeature: function (feature, layer) {{
      if (feature.properties.title) {{
        var label = document.createElement("span");
        label.textContent = feature.properties.title;
        layer.bindPopup(label);
      }}
    }}
  }}).addTo(map);
  var bounds = points.getLayers().length ? points.getBounds() : outlines.getBounds();
  map.fitBounds(bounds.pad(0.1));
  L.control.layers(null, {{ [{points_label}]: points, [{outlines_label}]: outlines }}).addTo(map);
  var legend = L.control({{ position: "bottomright" }});
  legend.onAdd = function () {{
    var box = L.DomUtil.create("div", "legend");
    var heading = document.createElement("strong");
    heading.textContent = {legend_title};
    box.appendChild(heading);
    data.legend.forEach(function (item) {{
      var line = document.createElement("div");
      var swatch = document.createElement("i");
      swatch.style.background = item.color;
      line.appendChild(swatch);
      line.appendChild(document.createTextNode(item.label));
      box.appendChild(line);
    }});
    return box;
  }};
  legend.addTo(map);
}})();
</script>
</body>
</html>
"""
