// The timeline bar (range, the shared cut's clips, frames this page holds, notes with the span
// of a range note, the playhead; click or drag to seek),
// timecode from a frame number and rate, and the playback clock that runs while playing.

import { Emitter } from "./emitter.js";

/** SMPTE-style timecode (non-drop) of frame `frame` at `rate` frames per second. */
export function timecode(frame, rate) {
  const fps = Math.max(1, Math.round(rate || 24));
  const f = Math.max(0, Math.trunc(frame));
  const two = (n) => String(n).padStart(2, "0");
  const secs = Math.floor(f / fps);
  return `${two(Math.floor(secs / 3600))}:${two(Math.floor(secs / 60) % 60)}:${two(secs % 60)}:${two(f % fps)}`;
}

/** Runs a frame counter at `rate` from `frame`, looping inside `range`, calling `onFrame`. */
export class Clock {
  #raf = 0;

  get running() {
    return this.#raf !== 0;
  }

  start(frame, rate, range, onFrame) {
    this.stop();
    const t0 = performance.now();
    let shown = frame;
    const tick = (now) => {
      let f = frame + Math.floor(((now - t0) / 1000) * rate);
      if (range && range[1] >= range[0] && (f > range[1] || f < range[0])) {
        const span = range[1] - range[0] + 1;
        f = range[0] + ((((f - range[0]) % span) + span) % span);
      }
      if (f !== shown) {
        shown = f;
        onFrame(f);
      }
      this.#raf = requestAnimationFrame(tick);
    };
    this.#raf = requestAnimationFrame(tick);
  }

  stop() {
    cancelAnimationFrame(this.#raf);
    this.#raf = 0;
  }
}

export class TimelineBar extends Emitter {
  range = null;
  frame = null;
  noteSpans = []; // [first, last] of each note
  heldFrames = new Set();
  loop = null;
  clips = [];
  #dragging = false;

  constructor(canvas) {
    super();
    this.canvas = canvas;
    canvas.addEventListener("pointerdown", (e) => {
      if (!this.range) return;
      this.#dragging = true;
      canvas.setPointerCapture(e.pointerId);
      this.emit("seek", this.#frameAt(e.clientX));
    });
    canvas.addEventListener("pointermove", (e) => this.#dragging && this.emit("seek", this.#frameAt(e.clientX)));
    canvas.addEventListener("pointerup", () => (this.#dragging = false));
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  update({ range, frame, noteSpans, heldFrames, loop, clips = [] }) {
    Object.assign(this, { range, frame, noteSpans, heldFrames, loop, clips });
    // The clip names and note spans, for assistive technology and tests.
    this.canvas.dataset.clips = clips.map((c) => c.name).join("\n");
    const spans = [...new Set(noteSpans.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)))];
    this.canvas.dataset.notes = spans.sort((p, q) => parseInt(p, 10) - parseInt(q, 10)).join("\n");
    this.canvas.setAttribute("aria-valuemin", range?.[0] ?? 0);
    this.canvas.setAttribute("aria-valuemax", range?.[1] ?? 0);
    this.canvas.setAttribute("aria-valuenow", frame ?? 0);
    this.draw();
  }

  /** The clip shown at `frame` (the highest video track wins), or null. */
  clipAt(frame) {
    let found = null;
    for (const c of this.clips) {
      if (frame >= c.start && frame < c.start + c.duration && (!found || c.track >= found.track)) found = c;
    }
    return found;
  }

  #frameAt(clientX) {
    const r = this.canvas.getBoundingClientRect();
    const [a, b] = this.range;
    const t = Math.min(1, Math.max(0, (clientX - r.left) / r.width));
    return Math.round(a + t * (b - a));
  }

  draw() {
    const k = window.devicePixelRatio || 1;
    const c = this.canvas;
    const [w, h] = [Math.round(c.clientWidth * k), Math.round(c.clientHeight * k)];
    if (c.width !== w || c.height !== h) Object.assign(c, { width: w, height: h });
    const ctx = c.getContext("2d");
    ctx.clearRect(0, 0, w, h);
    ctx.fillStyle = "#2a2a2a";
    ctx.fillRect(0, h * 0.35, w, h * 0.3);
    if (!this.range) return;
    const [a, b] = this.range;
    const span = Math.max(1, b - a + 1);
    const x = (f) => ((f - a) / span) * w;
    const cell = Math.max(1, w / span);
    this.#drawClips(ctx, x, w, h, k, a, b);
    if (this.loop) {
      ctx.fillStyle = "rgba(255, 255, 255, 0.07)";
      ctx.fillRect(x(this.loop[0]), 0, x(this.loop[1] + 1) - x(this.loop[0]), h);
    }
    ctx.fillStyle = "#4a4a4a";
    // With a shared cut the clips fill the band: frames held here get a strip below it.
    const [top, tall] = this.clips.length ? [h * 0.72, h * 0.1] : [h * 0.35, h * 0.3];
    for (const f of this.heldFrames) if (f >= a && f <= b) ctx.fillRect(x(f), top, cell, tall);
    // A range note: a band over its frames, then a tick at its first frame like any note.
    ctx.fillStyle = "rgba(245, 180, 60, 0.35)";
    for (const [first, last] of this.noteSpans) {
      if (last === first || last < a || first > b) continue;
      const left = x(Math.max(a, first));
      ctx.fillRect(left, h * 0.12, x(Math.min(b, last) + 1) - left, h * 0.22);
    }
    ctx.fillStyle = "#f5b43c";
    for (const f of new Set(this.noteSpans.map(([first]) => first))) {
      if (f < a || f > b) continue;
      ctx.beginPath();
      const cx = x(f) + cell / 2;
      ctx.moveTo(cx - 4 * k, 0);
      ctx.lineTo(cx + 4 * k, 0);
      ctx.lineTo(cx, 6 * k);
      ctx.fill();
      ctx.fillRect(cx - k / 2, 0, k, h);
    }
    if (this.frame !== null && this.frame >= a && this.frame <= b) {
      const clip = this.clipAt(this.frame);
      this.canvas.title = clip ? clip.name : "";
      ctx.fillStyle = "rgba(255, 255, 255, 0.16)";
      ctx.fillRect(x(this.frame), 0, cell, h);
      ctx.fillStyle = "#f0f0f0";
      ctx.fillRect(Math.round(x(this.frame) + cell / 2 - k), 0, 2 * k, h);
    }
  }

  /** The shared cut (an editor's timeline): a block per clip, lower tracks first, each named
   * where it is wide enough, and a line at every cut. */
  #drawClips(ctx, x, w, h, k, a, b) {
    if (!this.clips.length) return;
    const clips = [...this.clips].sort((p, q) => p.track - q.track || p.start - q.start);
    ctx.save();
    ctx.font = `${Math.round(9 * k)}px sans-serif`;
    ctx.textBaseline = "middle";
    clips.forEach((c, i) => {
      const end = c.start + c.duration - 1;
      if (end < a || c.start > b) return;
      const left = Math.max(0, x(c.start));
      const right = Math.min(w, x(end + 1));
      ctx.fillStyle = i % 2 ? "#3b4a5e" : "#344256";
      ctx.fillRect(left, h * 0.3, right - left, h * 0.4);
      ctx.fillStyle = "#8fa6c4";
      ctx.fillRect(Math.round(left), h * 0.25, Math.max(1, k), h * 0.5);
      const room = right - left - 6 * k;
      if (room > 12 * k) {
        ctx.save();
        ctx.beginPath();
        ctx.rect(left, 0, right - left, h);
        ctx.clip();
        ctx.fillStyle = "#d7e0ec";
        ctx.fillText(c.name, left + 3 * k, h / 2);
        ctx.restore();
      }
    });
    ctx.restore();
  }
}
