// Marks in ORI coordinates: drawing them on a 2D canvas through a mapping to pixels, finding the
// one under a point, moving one. The same drawing serves the screen and the downloaded PNG, and
// follows the player's burn-in (plugins/player/burnin.py): arrow heads, text from its baseline.

const ARROW_HEAD_WIDTHS = 5;
const ARROW_HEAD_MIN = 0.02;
const ARROW_HEAD_ANGLE = (28 * Math.PI) / 180;
export const DEFAULT_TEXT_SIZE = 0.04;
const TEXT_FONT = "600 {px}px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";

export function cssColor(rgba, alpha = 1) {
  const [r, g, b, a = 1] = rgba ?? [1, 0.2, 0.2, 1];
  const c = (v) => Math.round(Math.min(1, Math.max(0, v)) * 255);
  return `rgba(${c(r)}, ${c(g)}, ${c(b)}, ${a * alpha})`;
}

/**
 * Draws one mark. `map.pt(x, y)` gives canvas pixels for an ORI point, `map.unit` the pixels of
 * one image height; `alpha` fades it (done notes, others' drafts).
 */
export function paintMark(ctx, { shape, style }, map, alpha = 1) {
  const width = Math.max(1, (style?.width ?? 0.004) * map.unit);
  const color = cssColor(style?.color, alpha);
  ctx.save();
  ctx.strokeStyle = color;
  ctx.fillStyle = color;
  ctx.lineWidth = width;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  switch (shape.kind) {
    case "stroke":
      strokePath(ctx, shape.points, map, width);
      break;
    case "line":
    case "arrow": {
      const [a, b] = [map.pt(...shape.start), map.pt(...shape.end)];
      polyline(ctx, [a, b]);
      if (shape.kind === "arrow") for (const side of arrowHead(a, b, width, map.unit)) polyline(ctx, [b, side]);
      break;
    }
    case "rect":
    case "ellipse": {
      const [x0, y0] = map.pt(...shape.min);
      const [x1, y1] = map.pt(...shape.max);
      ctx.beginPath();
      if (shape.kind === "rect") ctx.rect(Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0));
      else ctx.ellipse((x0 + x1) / 2, (y0 + y1) / 2, Math.abs(x1 - x0) / 2, Math.abs(y1 - y0) / 2, 0, 0, 2 * Math.PI);
      ctx.stroke();
      break;
    }
    case "text":
      paintText(ctx, shape, map, color);
      break;
  }
  ctx.restore();
}

function polyline(ctx, pts) {
  ctx.beginPath();
  ctx.moveTo(...pts[0]);
  for (const p of pts.slice(1)) ctx.lineTo(...p);
  if (pts.length === 1) ctx.lineTo(pts[0][0] + 0.01, pts[0][1]);
  ctx.stroke();
}

function strokePath(ctx, points, map, width) {
  const pts = points.map((p) => map.pt(p[0], p[1]));
  if (points[0].length < 3) return polyline(ctx, pts);
  // With pressure: each segment as wide as the pressure at its end.
  for (let i = 0; i < pts.length; i++) {
    ctx.lineWidth = Math.max(1, width * (0.2 + 1.6 * points[i][2]));
    polyline(ctx, i === 0 ? [pts[0]] : [pts[i - 1], pts[i]]);
  }
}

function arrowHead([ax, ay], [bx, by], width, unit) {
  const len = Math.hypot(bx - ax, by - ay);
  if (len === 0) return [];
  const size = Math.min(Math.max(ARROW_HEAD_WIDTHS * width, ARROW_HEAD_MIN * unit), len * 0.5);
  const back = Math.atan2(ay - by, ax - bx);
  return [ARROW_HEAD_ANGLE, -ARROW_HEAD_ANGLE].map((a) => [
    bx + size * Math.cos(back + a),
    by + size * Math.sin(back + a),
  ]);
}

function paintText(ctx, shape, map, color) {
  const px = (shape.size ?? DEFAULT_TEXT_SIZE) * map.unit;
  const [x, y] = map.pt(...shape.at);
  ctx.font = TEXT_FONT.replace("{px}", px.toFixed(2));
  ctx.textBaseline = "alphabetic";
  ctx.lineWidth = Math.max(1, px / 8);
  ctx.strokeStyle = "rgba(0, 0, 0, 0.55)";
  shape.text.split("\n").forEach((line, i) => {
    ctx.strokeText(line, x, y + i * px * 1.25);
    ctx.fillStyle = color;
    ctx.fillText(line, x, y + i * px * 1.25);
  });
}

/** The ORI points a shape is made of (for hit tests, bounds and moves). */
function points(shape) {
  if (shape.kind === "stroke") return shape.points;
  if (shape.kind === "text") return [shape.at];
  return shape.kind === "rect" || shape.kind === "ellipse" ? [shape.min, shape.max] : [shape.start, shape.end];
}

/** [minX, minY, maxX, maxY] in ORI units. Text is measured roughly (no canvas needed). */
export function bounds(shape) {
  const pts = points(shape);
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  if (shape.kind === "text") {
    const size = shape.size ?? DEFAULT_TEXT_SIZE;
    const lines = shape.text.split("\n");
    const longest = Math.max(...lines.map((l) => l.length));
    return [xs[0], ys[0] - size * 1.25 * (lines.length - 1) - size * 0.3, xs[0] + longest * size * 0.58, ys[0] + size];
  }
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}

function segmentDistance([px, py], [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 ? Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2)) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** How far ORI point `p` is from the mark's outline (0 inside a text box). */
export function distance(shape, p) {
  switch (shape.kind) {
    case "stroke": {
      const pts = shape.points;
      if (pts.length === 1) return Math.hypot(p[0] - pts[0][0], p[1] - pts[0][1]);
      let best = Infinity;
      for (let i = 1; i < pts.length; i++) best = Math.min(best, segmentDistance(p, pts[i - 1], pts[i]));
      return best;
    }
    case "line":
    case "arrow":
      return segmentDistance(p, shape.start, shape.end);
    case "rect": {
      const [x0, y0, x1, y1] = bounds(shape);
      const corners = [[x0, y0], [x1, y0], [x1, y1], [x0, y1]];
      return Math.min(...corners.map((c, i) => segmentDistance(p, c, corners[(i + 1) % 4])));
    }
    case "ellipse": {
      const [x0, y0, x1, y1] = bounds(shape);
      const [cx, cy, rx, ry] = [(x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2 || 1e-9, (y1 - y0) / 2 || 1e-9];
      const r = Math.hypot((p[0] - cx) / rx, (p[1] - cy) / ry);
      return Math.abs(r - 1) * Math.min(rx, ry);
    }
    case "text": {
      const [x0, y0, x1, y1] = bounds(shape);
      return Math.hypot(Math.max(x0 - p[0], 0, p[0] - x1), Math.max(y0 - p[1], 0, p[1] - y1));
    }
  }
  return Infinity;
}

/** The shape moved by (dx, dy) ORI units, coordinates rounded as the relay keeps them. */
export function moved(shape, dx, dy) {
  const r = (v) => Math.round(v * 1e5) / 1e5;
  const shift = (p) => [r(p[0] + dx), r(p[1] + dy), ...p.slice(2)];
  const out = { ...shape };
  if (shape.points) out.points = shape.points.map(shift);
  for (const key of ["start", "end", "min", "max", "at"]) if (shape[key]) out[key] = shift(shape[key]);
  return out;
}
