// The case map (maps/case_map.html): points from the page's JSON endpoint on Leaflet, over the configured
// tile server or, without one, the Natural Earth borders shipped with the app. No inline script (CSP).
(function () {
  "use strict";
  var COLOURS = { incident: "#c0392b", media: "#2471a3", far: "#f39c12" };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, name) { return values[name]; });
  }

  function colourOf(properties) {
    if (properties.kind === "incident") return COLOURS.incident;
    return properties.far_from.length ? COLOURS.far : COLOURS.media;
  }

  function farText(element, properties) {
    var references = properties.far_from.map(function (far) { return far.reference + " (" + far.km + " km)"; });
    return fill(element.dataset.farLabel, { incidents: references.join(", ") });
  }

  function baseLayer(map, element) {
    if (element.dataset.tileUrl) {
      L.tileLayer(element.dataset.tileUrl, { attribution: element.dataset.tileAttribution, maxZoom: 19 }).addTo(map);
      return;
    }
    fetch(element.dataset.countriesUrl, { credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (countries) {
        L.geoJSON(countries, {
          interactive: false,
          style: { color: "#7f8c8d", weight: 1, fillColor: "#f4f1e8", fillOpacity: 1 },
        }).addTo(map);
        map.attributionControl.addAttribution(element.dataset.countriesAttribution);
        element.dataset.bordersLoaded = "true";  // the borders arrive apart from the points
      });
  }

  function listItem(element, feature) {
    var properties = feature.properties;
    var item = document.createElement("li");
    item.className = "map-point map-point-" + properties.kind;
    var link = document.createElement("a");
    link.href = properties.url;
    link.textContent = properties.label;
    link.dir = "auto";
    item.appendChild(link);
    if (properties.date) item.appendChild(document.createTextNode(" · " + properties.date));
    if (properties.far_from.length) {
      var far = document.createElement("span");
      far.className = "far";
      far.textContent = " · " + farText(element, properties);
      item.appendChild(far);
    }
    return item;
  }

  function showPoints(map, element, collection) {
    var list = document.getElementById("map-points");
    var counts = { incidents: 0, media: 0 };
    var layer = L.geoJSON(collection, {
      pointToLayer: function (feature, latlng) {
        var properties = feature.properties;
        counts[properties.kind === "incident" ? "incidents" : "media"] += 1;
        var marker = L.circleMarker(latlng, {
          radius: properties.kind === "incident" ? 9 : 7,
          color: "#222",
          weight: 2,
          fillColor: colourOf(properties),
          fillOpacity: 0.9,
          className: "map-marker map-marker-" + properties.kind,
        });
        marker.bindTooltip(properties.label + (properties.far_from.length ? " — " + farText(element, properties) : ""));
        // Clicking a point opens its record.
        marker.on("click", function () { window.location.assign(properties.url); });
        return marker;
      },
    }).addTo(map);
    collection.features.forEach(function (feature) { list.appendChild(listItem(element, feature)); });
    var status = fill(element.dataset.summary, counts);
    if (collection.truncated) status += " — " + element.dataset.truncated;
    document.getElementById("map-status").textContent = status;
    if (collection.features.length) map.fitBounds(layer.getBounds(), { padding: [30, 30], maxZoom: 9 });
    element.dataset.loaded = "true";
  }

  function start() {
    var element = document.getElementById("case-map");
    if (!element || typeof L === "undefined") return;
    var map = L.map(element, { worldCopyJump: true }).setView([30, 20], 2);
    baseLayer(map, element);
    if (!element.dataset.pointsUrl) return;
    fetch(element.dataset.pointsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      })
      .then(function (collection) { showPoints(map, element, collection); })
      .catch(function () { document.getElementById("map-status").textContent = element.dataset.failed; });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
