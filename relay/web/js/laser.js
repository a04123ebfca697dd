// Laser pointer trails: recent positions per participant, fading out; never stored anywhere.

const TRAIL_MS = 700;
const IDLE_MS = 2500;
const COLOR = [255, 45, 45];

export class Trails {
  #trails = new Map();

  /** A position from participant `id` (ORI); `visible` false when the pointer left the image. */
  add(id, x, y, visible = true, label = "") {
    const now = performance.now();
    const trail = this.#trails.get(id) ?? { points: [], label, visible, at: now };
    if (visible) {
      trail.points.push([x, y, now]);
      trail.last = [x, y];
    }
    Object.assign(trail, { label, visible, at: now });
    this.#trails.set(id, trail);
  }

  hide(id) {
    const trail = this.#trails.get(id);
    if (trail) trail.visible = false;
  }

  /** Paints every trail; true while something is still fading (paint again next frame). */
  paint(ctx, map) {
    const now = performance.now();
    const k = window.devicePixelRatio || 1;
    let alive = false;
    for (const [id, trail] of this.#trails) {
      trail.points = trail.points.filter((p) => now - p[2] < TRAIL_MS);
      const showDot = trail.visible && trail.last && now - trail.at < IDLE_MS;
      if (!trail.points.length && !showDot) {
        this.#trails.delete(id);
        continue;
      }
      alive = true;
      ctx.save();
      ctx.lineCap = "round";
      for (let i = 1; i < trail.points.length; i++) {
        const fade = 1 - (now - trail.points[i][2]) / TRAIL_MS;
        ctx.strokeStyle = `rgba(${COLOR}, ${0.85 * fade})`;
        ctx.lineWidth = k * (2 + 5 * fade);
        ctx.beginPath();
        ctx.moveTo(...map.pt(trail.points[i - 1][0], trail.points[i - 1][1]));
        ctx.lineTo(...map.pt(trail.points[i][0], trail.points[i][1]));
        ctx.stroke();
      }
      if (showDot) {
        const [x, y] = map.pt(...trail.last);
        ctx.shadowColor = `rgb(${COLOR})`;
        ctx.shadowBlur = 12 * k;
        ctx.fillStyle = `rgb(${COLOR})`;
        ctx.beginPath();
        ctx.arc(x, y, 5 * k, 0, 2 * Math.PI);
        ctx.fill();
        if (trail.label) {
          ctx.shadowBlur = 0;
          ctx.font = `${12 * k}px system-ui, sans-serif`;
          ctx.fillStyle = "rgba(0, 0, 0, 0.6)";
          const w = ctx.measureText(trail.label).width;
          ctx.fillRect(x + 9 * k, y + 6 * k, w + 8 * k, 17 * k);
          ctx.fillStyle = "#fff";
          ctx.fillText(trail.label, x + 13 * k, y + 19 * k);
        }
      }
      ctx.restore();
    }
    return alive;
  }
}
