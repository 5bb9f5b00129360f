// The live snapshot's compact form (`WS /api/v1/live?packed=true`, described in api/packing.py): the map's
// large layers by column, values that repeat given once. A fifth of the bytes, which a phone's link feels too.

/**
 * The features of one packed block, pushed onto `list`. `slot`: a symbol each point feature is made with (as
 * null), so that a page that adds it later never changes the features' shape (the map's cluster cells).
 */
export function unpack(block, list, slot = null) {
  const { kind, geometry: type, count, keys, coordinates, columns } = block;
  const dictionaries = keys.map((key) => block.dictionaries?.[key] ?? null);
  const point = type === 'Point';
  for (let i = 0; i < count; i++) {
    const properties = { kind };
    for (let k = 0; k < keys.length; k++) {
      const dictionary = dictionaries[k];
      properties[keys[k]] = dictionary ? dictionary[columns[k][i]] : columns[k][i];
    }
    const id = `${kind}:${properties.id}`;
    if (point) {
      const geometry = { type, coordinates: [coordinates[2 * i], coordinates[2 * i + 1]] };
      list.push(slot ? { type: 'Feature', id, geometry, properties, [slot]: null } : { type: 'Feature', id, geometry, properties });
    } else {
      list.push({ type: 'Feature', id, geometry: { type, coordinates: coordinates[i] }, properties });
    }
  }
}
