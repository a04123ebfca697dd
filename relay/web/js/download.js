// The frame on screen with its notes burned in, as a PNG at the frame's own resolution: the
// decoded image, the visible marks, and each note's words listed in a box at the bottom (as the
// player's burn-in does, plugins/player/burnin.py).

import { pixelFromOri } from "./protocol.js";
import { paintMark } from "./shapes.js";
import { paintWatermark } from "./watermark.js";

const CAPTION_TEXT = 0.028;

/** Renders the PNG (a Blob): `image` {bitmap, width, height}, `notes` in drawing order, and
 * the `watermark` text tiled over it when this participant's frames carry one. */
export async function burnIn(image, notes, watermark = null) {
  const { width, height } = image;
  const canvas = makeCanvas(width, height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(image.bitmap, 0, 0, width, height);
  const map = { pt: (x, y) => pixelFromOri(x, y, width, height), unit: height };
  for (const note of notes) paintMark(ctx, note, map, note.status === "done" ? 0.35 : 1);
  captions(ctx, notes.filter((n) => n.text && n.status !== "done"), width, height);
  if (watermark) paintWatermark(ctx, watermark, width, height, Math.max(1, height / 1080));
  if (canvas.convertToBlob) return canvas.convertToBlob({ type: "image/png" });
  return new Promise((ok) => canvas.toBlob(ok, "image/png"));
}

/** Saves `blob` under `name` through a temporary link. */
export function save(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function makeCanvas(width, height) {
  if ("OffscreenCanvas" in globalThis) return new OffscreenCanvas(width, height);
  return Object.assign(document.createElement("canvas"), { width, height });
}

function captions(ctx, notes, width, height) {
  if (!notes.length) return;
  const size = Math.max(10, CAPTION_TEXT * height);
  const margin = size * 0.5;
  ctx.font = `${size}px system-ui, sans-serif`;
  const lines = [];
  for (const note of notes) {
    for (const line of wrap(ctx, `${note.author_name ?? "note"}: ${note.text}`, width - 4 * margin - size)) {
      lines.push([line, note.style?.color ?? [1, 0.2, 0.2, 1]]);
    }
  }
  const shown = lines.slice(-Math.max(1, Math.floor((height * 0.4) / (size * 1.3))));
  const top = height - 2 * margin - shown.length * size * 1.3;
  ctx.fillStyle = "rgba(0, 0, 0, 0.6)";
  ctx.fillRect(0, top, width, height - top);
  let y = top + margin;
  for (const [line, color] of shown) {
    y += size * 1.3;
    ctx.fillStyle = `rgb(${color.slice(0, 3).map((v) => Math.round(v * 255))})`;
    ctx.fillRect(margin, y - size * 0.8, size * 0.35, size * 0.8);
    ctx.fillStyle = "#fff";
    ctx.fillText(line, margin * 2 + size * 0.35, y - size * 0.1);
  }
}

function wrap(ctx, text, maxWidth) {
  const out = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(" ")) {
      const next = line ? `${line} ${word}` : word;
      if (line && ctx.measureText(next).width > maxWidth) {
        out.push(line);
        line = word;
      } else {
        line = next;
      }
    }
    out.push(line);
  }
  return out;
}
