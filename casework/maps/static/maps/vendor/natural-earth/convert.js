// Run beside the unpacked npm packages (see ../README.md): prints the countries of world-atlas as GeoJSON.
const topojson = require("./topojson-client-3.1.0/package/dist/topojson-client.js");
const topology = require("./world-atlas-2.0.2/package/countries-110m.json");
const geo = topojson.feature(topology, topology.objects.countries);
// Keep only the geometry and the name: properties are not shown.
geo.features = geo.features.map(f => ({type: "Feature", properties: {name: f.properties.name}, geometry: f.geometry}));
process.stdout.write(JSON.stringify(geo, (k, v) => typeof v === "number" ? Math.round(v * 1000) / 1000 : v));
