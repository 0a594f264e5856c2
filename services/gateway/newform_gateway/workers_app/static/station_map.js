// The rest stations on a schematic map of Xining's districts (M14), drawn as inline SVG: no tile server,
// nothing loaded from elsewhere. The outlines are simplified (lon/lat corners), enough to place the stations
// and the worker, not a survey map. Used by app.js's 附近的驿站.
"use strict";

const STATION_MAP = {
  districts: {
    datong: [[101.2, 37.4], [101.9, 37.35], [101.95, 36.85], [101.6, 36.8], [101.35, 36.84], [101.15, 37.05]],
    huangyuan: [[100.85, 36.95], [101.15, 37.05], [101.35, 36.84], [101.4, 36.56], [101.1, 36.45], [100.85, 36.6]],
    huangzhong: [[101.35, 36.84], [101.6, 36.8], [101.69, 36.7], [101.72, 36.58], [101.75, 36.5], [101.9, 36.5],
      [101.85, 36.25], [101.4, 36.2], [101.1, 36.45], [101.4, 36.56]],
    chengbei: [[101.6, 36.8], [101.82, 36.8], [101.82, 36.665], [101.74, 36.655], [101.69, 36.7]],
    chengxi: [[101.69, 36.7], [101.74, 36.655], [101.77, 36.625], [101.745, 36.585], [101.72, 36.58]],
    chengzhong: [[101.72, 36.58], [101.745, 36.585], [101.77, 36.625], [101.8, 36.62], [101.82, 36.55], [101.75, 36.5]],
    chengdong: [[101.77, 36.625], [101.74, 36.655], [101.82, 36.665], [101.95, 36.65], [101.95, 36.55], [101.82, 36.55],
      [101.8, 36.62]],
  },
  west: 100.83, east: 101.97, south: 36.18, north: 37.42, width: 320,
};

function mapPoint(lon, lat) {
  const k = Math.cos((36.8 * Math.PI) / 180);
  const scale = STATION_MAP.width / ((STATION_MAP.east - STATION_MAP.west) * k);
  return [((lon - STATION_MAP.west) * k * scale).toFixed(1), ((STATION_MAP.north - lat) * scale).toFixed(1)];
}

function svgNode(tag, attrs, text) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text) node.textContent = text;
  return node;
}

// stations: the API's items (lat, lon, name, open_now, id); here: {latitude, longitude} or null;
// districtName: code -> Chinese name.
function stationMap(stations, here, districtName) {
  const [w, h] = mapPoint(STATION_MAP.east, STATION_MAP.south);
  const map = svgNode("svg", { viewBox: `0 0 ${w} ${h}`, role: "img", "aria-labelledby": "station-map-title", class: "station-map" });
  map.append(svgNode("title", { id: "station-map-title" }, "西宁市驿站分布示意图"));
  for (const [code, shape] of Object.entries(STATION_MAP.districts)) {
    map.append(svgNode("polygon", { points: shape.map(([lon, lat]) => mapPoint(lon, lat).join(",")).join(" "), class: "district", "data-district": code }));
  }
  for (const [code, shape] of Object.entries(STATION_MAP.districts)) {
    const [x, y] = mapPoint(shape.reduce((s, p) => s + p[0], 0) / shape.length, shape.reduce((s, p) => s + p[1], 0) / shape.length);
    if (!code.startsWith("cheng")) map.append(svgNode("text", { x, y, class: "district-name" }, districtName(code)));
  }
  for (const s of stations) {
    const [x, y] = mapPoint(s.lon, s.lat);
    const dot = svgNode("circle", { cx: x, cy: y, r: 4, class: s.open_now ? "station open" : "station closed", "data-station-id": s.id });
    dot.append(svgNode("title", {}, `${s.name}（${s.open_now ? "正在开放" : "现在不开放"}）`));
    map.append(dot);
  }
  if (here) {
    const [x, y] = mapPoint(here.longitude, here.latitude);
    const me = svgNode("circle", { cx: x, cy: y, r: 5, class: "me" });
    me.append(svgNode("title", {}, "我的位置"));
    map.append(me);
  }
  return map;
}
