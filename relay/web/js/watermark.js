// The watermark: the viewer's name and the time, tiled over the frame and burned into PNG
// downloads, so a screenshot or a saved frame that leaks names whose screen it came from.
// The host chooses who gets it (session.watermark): "viewers" (the default), "everyone", "off".

const TILE_W = 360;
const TILE_H = 200;
const ANGLE = -Math.PI / 7;
const ALPHA = 0.16;

/** True when this participant's frames carry the watermark. */
export function marked(setting, role) {
  const mode = setting ?? "viewers";
  return mode === "everyone" || (mode === "viewers" && role === "viewer");
}

/** "Pat Lee · 2026-12-02 21:40 UTC": whose screen, and when. */
export function watermarkText(name, now = new Date()) {
  const iso = now.toISOString();
  return `${name || "guest"} · ${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Paints the text tiled across a `width` x `height` context (a tile is `scale` times TILE). */
export function paintWatermark(ctx, text, width, height, scale = 1) {
  const w = TILE_W * scale;
  const h = TILE_H * scale;
  ctx.save();
  ctx.font = `600 ${Math.round(18 * scale)}px system-ui, sans-serif`;
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.lineWidth = Math.max(1, 2 * scale);
  ctx.strokeStyle = `rgba(0, 0, 0, ${ALPHA})`;
  ctx.fillStyle = `rgba(255, 255, 255, ${ALPHA * 1.6})`;
  for (let y = -h; y < height + h; y += h) {
    const offset = (Math.round(y / h) % 2) * (w / 2);
    for (let x = -w; x < width + w; x += w) {
      ctx.save();
      ctx.translate(x + offset + w / 2, y + h / 2);
      ctx.rotate(ANGLE);
      ctx.strokeText(text, 0, 0);
      ctx.fillText(text, 0, 0);
      ctx.restore();
    }
  }
  ctx.restore();
}

/** Keeps `element` (a layer over the stage) showing the watermark while `active()`. */
export class WatermarkLayer {
  #element;
  #text = "";

  constructor(element, { active, name }) {
    this.#element = element;
    this.active = active;
    this.name = name;
    setInterval(() => this.render(), 20_000);
  }

  render() {
    const on = this.active();
    this.#element.hidden = !on;
    if (!on) return;
    const text = watermarkText(this.name());
    if (text === this.#text) return;
    this.#text = text;
    const ratio = globalThis.devicePixelRatio || 1;
    const canvas = document.createElement("canvas");
    canvas.width = TILE_W * 2 * ratio;
    canvas.height = TILE_H * 2 * ratio;
    paintWatermark(canvas.getContext("2d"), text, canvas.width, canvas.height, ratio);
    this.#element.style.backgroundImage = `url(${canvas.toDataURL("image/png")})`;
    this.#element.style.backgroundSize = `${TILE_W * 2}px ${TILE_H * 2}px`;
    this.#element.dataset.text = text;
  }
}
