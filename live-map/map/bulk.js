// Large layers of areas or lines painted on one canvas each, from plain arrays (see BulkCanvas).
/* global L */
import { styleOf } from './styles.js';

// -- Web Mercator as Leaflet's EPSG:3857 projects it, at zoom 0 and divided by 256: [0, 1] ------

const MAX_LATITUDE = 85.0511287798;
export const worldX = (lon) => lon / 360 + 0.5;

export function worldY(lat) {
  const sin = Math.sin((Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat)) * Math.PI) / 180);
  return 0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI);
}

// -- bulk: a large layer of areas or lines on one canvas of its own ------------------------------

/**
 * Paints a layer's features from plain arrays (coordinates projected once, to Web Mercator at
 * zoom 0), in one loop, instead of one Leaflet layer per feature: for 17,649 zones that is the
 * difference between seconds and milliseconds. A change repaints only the box it touches. The
 * mouse finds features by a scan of their boxes (17,649 boxes take well under a millisecond).
 * The canvas is placed and moved with the map as Leaflet's own renderers are (L.Renderer).
 */
export const BulkCanvas = L.Renderer.extend({
  initialize(options) {
    L.Renderer.prototype.initialize.call(this, options);
    this._items = new Map();  // id → item
    this._order = null;       // every item in drawing order, sorted when next needed
    this._seq = 0;
    this._scale = 0;          // of the drawn zoom, while on the map
    this._dirty = null;       // [x0, y0, x1, y1] to repaint at the next frame
    this._frame = null;
  },

  _initContainer() {
    this._container = document.createElement('canvas');
    this._container.className = 'bulk-layer';
    this._ctx = this._container.getContext('2d');
  },

  _destroyContainer() {
    cancelAnimationFrame(this._frame);
    this._frame = null;
    this._scale = 0;
    L.DomUtil.remove(this._container);
    delete this._ctx;
    delete this._container;
  },

  _updatePaths() {},  // (L.Renderer listens for 'update', which this renderer never fires)

  /** After the map moved or zoomed: size and place the canvas, paint everything in view. */
  _update() {
    if (this._map._animatingZoom && this._bounds) return;
    L.Renderer.prototype._update.call(this);
    const b = this._bounds;
    const size = b.getSize();
    const ratio = L.Browser.retina ? 2 : 1;
    const canvas = this._container;
    L.DomUtil.setPosition(canvas, b.min);
    canvas.width = ratio * size.x;
    canvas.height = ratio * size.y;
    canvas.style.width = `${size.x}px`;
    canvas.style.height = `${size.y}px`;
    this._ratio = ratio;
    const origin = this._map.getPixelOrigin();
    this._scale = 256 * 2 ** this._map.getZoom();
    this._origin = [origin.x, origin.y];
    this._dirty = null;
    this._paint(null);
  },

  count() {
    return this._items.size;
  },

  setFeatures(features) {
    this._items.clear();
    this._order = null;
    this._seq = 0;
    for (const feature of features) {
      const item = this._item(feature);
      if (item) this._items.set(feature.id, item);
    }
    if (this._scale) {
      this._dirty = null;
      this._paint(null);
    }
  },

  upsert(feature) {
    const item = this._items.get(feature.id);
    const fresh = this._item(feature, item?.seq);
    if (item) {
      this._invalidate(this._box(item));
      if (!fresh) {
        this._items.delete(feature.id);
        this._order = null;
        return;
      }
      if (fresh.rank !== item.rank || fresh.style !== item.style) this._order = null;
      Object.assign(item, fresh);  // the same item: its place in the drawing order holds
    } else if (fresh) {
      this._items.set(feature.id, fresh);
      this._order = null;
    }
    if (item ?? fresh) this._invalidate(this._box(item ?? fresh));
  },

  remove(id) {
    const item = this._items.get(id);
    if (!item) return;
    this._items.delete(id);
    this._order = null;
    this._invalidate(this._box(item));
  },

  /** The topmost interactive feature under a layer point, or null. */
  featureAt(point) {
    if (!this._scale) return null;
    const items = this._inOrder();
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      if (!item.style.interactive) continue;
      const box = this._box(item);
      if (point.x < box[0] || point.x > box[2] || point.y < box[1] || point.y > box[3]) continue;
      if (this._contains(item, point.x, point.y)) return item.feature;
    }
    return null;
  },

  _item(feature, seq) {
    const geometry = feature.geometry;
    const rings = [];
    let point = null;
    const project = (coordinates) => {
      const ring = [];  // (a plain array of numbers: cheaper to make than a typed array, as fast to read)
      for (const position of coordinates) ring.push(worldX(position[0]), worldY(position[1]));
      rings.push(ring);
    };
    switch (geometry?.type) {
      case 'Polygon': case 'MultiLineString': geometry.coordinates.forEach(project); break;
      case 'MultiPolygon': geometry.coordinates.forEach((polygon) => polygon.forEach(project)); break;
      case 'LineString': project(geometry.coordinates); break;
      case 'Point': point = [worldX(geometry.coordinates[0]), worldY(geometry.coordinates[1])]; break;
      default: return null;
    }
    const world = point ? [point[0], point[1], point[0], point[1]] : [Infinity, Infinity, -Infinity, -Infinity];
    for (const ring of rings) {
      for (let i = 0; i < ring.length; i += 2) {
        if (ring[i] < world[0]) world[0] = ring[i];
        if (ring[i] > world[2]) world[2] = ring[i];
        if (ring[i + 1] < world[1]) world[1] = ring[i + 1];
        if (ring[i + 1] > world[3]) world[3] = ring[i + 1];
      }
    }
    const style = pathStyle(styleOf(feature), geometry.type);
    const pad = (style.stroke ? style.weight / 2 : 0) + (point ? style.radius : 0) + 1;
    return { feature, rank: this.options.rank ? this.options.rank(feature) : 0, seq: seq ?? this._seq++,
      rings, point, world, pad, style };
  },

  /** The item's box in layer pixels at the drawn zoom, with its outline. */
  _box(item) {
    if (!this._scale) return null;
    const s = this._scale;
    const [ox, oy] = this._origin;
    const w = item.world;
    return [w[0] * s - ox - item.pad, w[1] * s - oy - item.pad, w[2] * s - ox + item.pad, w[3] * s - oy + item.pad];
  },

  _invalidate(box) {
    if (!box || !this._ctx) return;
    const d = this._dirty;
    this._dirty = d ? [Math.min(d[0], box[0]), Math.min(d[1], box[1]), Math.max(d[2], box[2]), Math.max(d[3], box[3])] : box;
    if (!this._frame) {
      this._frame = requestAnimationFrame(() => {
        this._frame = null;
        const dirty = this._dirty;
        this._dirty = null;
        if (dirty && this._ctx) this._paint([Math.floor(dirty[0]) - 1, Math.floor(dirty[1]) - 1, Math.ceil(dirty[2]) + 1, Math.ceil(dirty[3]) + 1]);
      });
    }
  },

  /** Paint the features that meet `rect` (layer pixels), or everything in view when it is null. */
  _paint(rect) {
    const ctx = this._ctx;
    const b = this._bounds;
    const r = this._ratio;
    ctx.save();
    ctx.setTransform(r, 0, 0, r, -r * b.min.x, -r * b.min.y);
    if (rect) {
      ctx.beginPath();
      ctx.rect(rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1]);
      ctx.clip();
    } else {
      rect = [b.min.x, b.min.y, b.max.x, b.max.y];
    }
    ctx.clearRect(rect[0], rect[1], rect[2] - rect[0], rect[3] - rect[1]);
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    const s = this._scale;
    const [ox, oy] = this._origin;
    let style = null;
    let tiny = null;  // the colour, opacity and margin of a feature too small to show its shape
    let fillStyle = null;
    let alpha = null;
    const paintWith = (colour, opacity) => {  // the canvas parses a colour each time it is set
      if (colour !== fillStyle) ctx.fillStyle = fillStyle = colour;
      if (opacity !== alpha) ctx.globalAlpha = alpha = opacity;
    };
    for (const item of this._inOrder()) {
      const w = item.world;
      const x0 = w[0] * s - ox;
      const y0 = w[1] * s - oy;
      const x1 = w[2] * s - ox;
      const y1 = w[3] * s - oy;
      const pad = item.pad;
      if (x1 + pad < rect[0] || x0 - pad > rect[2] || y1 + pad < rect[1] || y0 - pad > rect[3]) continue;
      if (item.style !== style) {
        style = item.style;
        tiny = style.stroke ? [style.color, style.opacity, style.weight / 2] : [style.fillColor, style.fillOpacity, 0];
        ctx.lineWidth = style.weight;
        ctx.strokeStyle = style.color;
        ctx.setLineDash(style.dash);
      }
      // A few pixels across (17,649 zones at the county's zoom), an area is a square of its outline's
      // colour: one fillRect, where its path, fill and stroke would cost five times as much.
      if (!item.point && x1 - x0 < TINY_PX && y1 - y0 < TINY_PX) {
        paintWith(tiny[0], tiny[1]);
        ctx.fillRect(x0 - tiny[2], y0 - tiny[2], x1 - x0 + 2 * tiny[2], y1 - y0 + 2 * tiny[2]);
        continue;
      }
      ctx.beginPath();
      if (item.point) {
        ctx.arc(x0, y0, style.radius, 0, 2 * Math.PI);
      } else {
        for (const ring of item.rings) {
          ctx.moveTo(ring[0] * s - ox, ring[1] * s - oy);
          for (let i = 2; i < ring.length; i += 2) ctx.lineTo(ring[i] * s - ox, ring[i + 1] * s - oy);
          if (style.closed) ctx.closePath();
        }
      }
      if (style.fill) {
        paintWith(style.fillColor, style.fillOpacity);
        ctx.fill('evenodd');
      }
      if (style.stroke) {
        if (style.opacity !== alpha) ctx.globalAlpha = alpha = style.opacity;
        ctx.stroke();
      }
    }
    ctx.restore();
  },

  _inOrder() {
    if (!this._order) this._order = [...this._items.values()].sort(drawingOrder);
    return this._order;
  },

  /** Is the layer point inside the item's area, or on its outline or line? */
  _contains(item, x, y) {
    const s = this._scale;
    const [ox, oy] = this._origin;
    const style = item.style;
    if (item.point) return Math.hypot(item.point[0] * s - ox - x, item.point[1] * s - oy - y) <= style.radius + style.weight / 2;
    const near = style.weight / 2 + 3;
    let inside = false;
    for (const ring of item.rings) {
      const n = ring.length;
      for (let i = 0, j = n - 2; i < n; j = i, i += 2) {
        const xi = ring[i] * s - ox;
        const yi = ring[i + 1] * s - oy;
        const xj = ring[j] * s - ox;
        const yj = ring[j + 1] * s - oy;
        if (style.fill && (yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
        if ((i > 0 || style.closed) && distanceToSegment(x, y, xj, yj, xi, yi) <= near) return true;
      }
    }
    return inside;
  },
});

const TINY_PX = 6;  // an area smaller than this across is painted as a square
// By rank (a zone's kind), then by style (fewer changes of the canvas's state), then as they came.
const drawingOrder = (a, b) => a.rank - b.rank || a.style.index - b.style.index || a.seq - b.seq;

function distanceToSegment(x, y, x0, y0, x1, y1) {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const t = dx || dy ? Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy))) : 0;
  return Math.hypot(x - (x0 + t * dx), y - (y0 + t * dy));
}

// A Leaflet path style with Leaflet's defaults filled in, one object per distinct style: the bulk
// painter sets the canvas's state only when the next feature's style object differs.
const pathStyles = new Map();
const pathStylesOf = new WeakMap();  // a style object styleOf gives again and again → its path styles

function pathStyle(style, type) {
  const shape = type === 'LineString' || type === 'MultiLineString' ? 'line' : type === 'Point' ? 'point' : 'area';
  let known = pathStylesOf.get(style);
  if (!known) pathStylesOf.set(style, (known = {}));
  if (known[shape]) return known[shape];
  const key = [style.stroke, style.color, style.weight, style.opacity, style.dashArray, style.fill, style.fillColor,
    style.fillOpacity, style.radius, style.interactive, shape].join('|');
  let shared = pathStyles.get(key);
  if (!shared) {
    const color = style.color ?? '#3388ff';
    shared = { index: pathStyles.size, stroke: style.stroke ?? true, color, weight: style.weight ?? 3, opacity: style.opacity ?? 1,
      dash: typeof style.dashArray === 'string' ? style.dashArray.split(/[, ]+/).map(Number) : style.dashArray ?? [],
      fill: (style.fill ?? true) && shape !== 'line', fillColor: style.fillColor ?? color, fillOpacity: style.fillOpacity ?? 0.2,
      radius: style.radius ?? 10, interactive: style.interactive ?? true, closed: shape === 'area' };
    pathStyles.set(key, shared);
  }
  known[shape] = shared;
  return shared;
}
