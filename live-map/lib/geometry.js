// Containment of a point in a GeoJSON Polygon or MultiPolygon (holes respected), for the pages' own hints:
// the map's place names, the phone's "outside the team's jurisdiction". The server's check stays the final word.

/** Does the Polygon or MultiPolygon `geometry` hold [lon, lat]? */
export function holds(geometry, lon, lat) {
  if (!geometry) return false;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  return polygons.some((rings) => inRing(rings[0], lon, lat) && !rings.slice(1).some((hole) => inRing(hole, lon, lat)));
}

function inRing(ring, x, y) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
