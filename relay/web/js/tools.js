// Pointer input on the stage: the drawing tools, eraser, select-and-move, laser, hand; zoom with
// the wheel or a pinch, pan with the hand tool, space or the middle button. What it makes goes
// out through `hooks` (commit, draft, pointer, drawing, ...), so this file knows no sockets.

import { DEFAULT_TEXT_SIZE, bounds, distance, moved, paintMark } from "./shapes.js";
import { uuid } from "./protocol.js";

const TOOLS = ["select", "hand", "pen", "line", "arrow", "rect", "ellipse", "text", "eraser", "laser"];
const DRAWING = new Set(["pen", "line", "arrow", "rect", "ellipse"]);
// CSS pixels within which a click picks a mark.
const PICK_PX = 8;
// A pen point is kept when it is at least this many CSS pixels from the last one.
const PEN_STEP_PX = 1.5;
// A gesture that never gets this many CSS pixels from where it went down is a tap, not a mark:
// it makes no note, sends no draft and holds no playback (a finger wobbles more than a pen).
// A dot is drawn as a small ellipse or pointed at with an arrow; there is no dot tool.
export const TAP_PX = { touch: 10, pen: 4, mouse: 3 };
// Marks may reach a little outside the image, not beyond the protocol's coordinate bound (10).
const COORD_LIMIT = 9.99;
const CURSORS = {
  select: "default",
  hand: "grab",
  pen: "crosshair",
  line: "crosshair",
  arrow: "crosshair",
  rect: "crosshair",
  ellipse: "crosshair",
  text: "text",
  eraser: "cell",
  laser: "none",
};

export class Tools {
  tool = "pen";
  color = [1, 0.2, 0.2, 1];
  width = 0.004;
  spaceDown = false;
  spaceUsed = false;
  selected = null;
  // What is under way: {kind: "draw"|"move"|"erase"|"pan"|"pinch", ...}.
  #gesture = null;
  #touches = new Map();
  #textAt = null;

  constructor(viewer, hooks) {
    this.viewer = viewer;
    this.hooks = hooks;
    const el = viewer.marksCanvas;
    el.addEventListener("pointerdown", (e) => this.#down(e));
    el.addEventListener("pointermove", (e) => this.#move(e));
    el.addEventListener("pointerup", (e) => this.#up(e));
    el.addEventListener("pointercancel", (e) => this.#up(e, true));
    el.addEventListener("pointerleave", () => this.tool === "laser" && this.hooks.pointer(0, 0, false));
    el.addEventListener("wheel", (e) => this.#wheel(e), { passive: false });
    el.addEventListener("contextmenu", (e) => e.preventDefault());
    if ("GestureEvent" in window) this.#safariPinch(el);
    this.textInput = document.getElementById("text-entry");
    this.textInput.addEventListener("keydown", (e) => this.#textKey(e));
    this.textInput.addEventListener("blur", () => this.#closeText(true));
    this.#cursor();
  }

  setTool(tool) {
    if (!TOOLS.includes(tool)) return;
    this.cancel();
    if (this.tool === "laser") this.hooks.pointer(0, 0, false);
    this.tool = tool;
    if (tool !== "select") this.selected = null;
    this.#cursor();
    this.hooks.changed();
  }

  /** Drops what is being drawn (Escape). */
  cancel() {
    const g = this.#gesture;
    if (g?.kind === "draw" && g.started) {
      this.hooks.draft(g.mark, true);
      this.hooks.drawing(false, g.mark);
    }
    this.#gesture = null;
    this.#closeText(false);
    this.hooks.redraw();
  }

  /** Marks hidden while a gesture changes them (moved or being erased). */
  hides(id) {
    const g = this.#gesture;
    return (g?.kind === "move" && g.id === id) || (g?.kind === "erase" && g.ids.has(id));
  }

  /** Paints what is under way: the mark being drawn or moved, the selection box. */
  paint(ctx, map) {
    const g = this.#gesture;
    if (g?.kind === "draw") paintMark(ctx, g.mark, map);
    if (g?.kind === "move") paintMark(ctx, { ...g.note, shape: moved(g.note.shape, g.dx, g.dy) }, map);
    const sel = this.selected && this.hooks.note(this.selected);
    if (sel && !this.hides(sel.id)) {
      const pad = 6 * (window.devicePixelRatio || 1);
      const [x0, y0, x1, y1] = boundsPx(sel.shape, map);
      ctx.save();
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = "rgba(255, 255, 255, 0.85)";
      ctx.lineWidth = 1;
      ctx.strokeRect(x0 - pad, y0 - pad, x1 - x0 + 2 * pad, y1 - y0 + 2 * pad);
      ctx.restore();
    }
  }

  #cursor() {
    this.viewer.marksCanvas.style.cursor = this.spaceDown ? "grab" : CURSORS[this.tool];
  }

  /** The ORI point under a pointer event, rounded as the relay keeps it, within bounds. */
  #at(e) {
    const clamp = (v) => Math.round(Math.min(COORD_LIMIT, Math.max(-COORD_LIMIT, v)) * 1e5) / 1e5;
    const [x, y] = this.viewer.toOri(e.clientX, e.clientY);
    return [clamp(x), clamp(y)];
  }

  setSpace(down) {
    this.spaceDown = down;
    if (down) this.spaceUsed = false;
    this.#cursor();
  }

  #down(e) {
    if (e.pointerType === "touch") {
      this.#touches.set(e.pointerId, [e.clientX, e.clientY]);
      if (this.#touches.size === 2) return this.#startPinch();
      if (this.#touches.size > 2) return;
    }
    if (e.button !== 0 && e.button !== 1) return;
    this.viewer.marksCanvas.setPointerCapture(e.pointerId);
    const at = this.#at(e);
    if (e.button === 1 || this.spaceDown || this.tool === "hand") {
      this.spaceUsed = this.spaceDown;
      this.#gesture = { kind: "pan", x: e.clientX, y: e.clientY };
      this.viewer.marksCanvas.style.cursor = "grabbing";
      return;
    }
    const canDraw = this.hooks.canDraw();
    if (this.tool === "laser") {
      if (canDraw) this.hooks.pointer(at[0], at[1], true);
      return;
    }
    if (!canDraw) return;
    if (this.tool === "select") return this.#startMove(at);
    if (this.tool === "eraser") {
      this.#gesture = { kind: "erase", ids: new Set() };
      return this.#erase(at);
    }
    if (this.tool === "text") return this.#openText(e, at);
    if (!DRAWING.has(this.tool)) return;
    // The mark belongs to the frame on screen at pen-down, whatever plays on meanwhile.
    const anchor = this.hooks.canMark();
    if (!anchor) return;
    const mark = { id: uuid(), anchor, shape: this.#startShape(at, e), style: { color: [...this.color], width: this.width } };
    const down = [e.clientX, e.clientY];
    const tap = TAP_PX[e.pointerType] ?? TAP_PX.mouse;
    this.#gesture = { kind: "draw", mark, from: at, last: down, down, tap, started: false };
    this.hooks.redraw();
  }

  /** A gesture past the tap distance becomes a mark: the view holds, the others see it grow. */
  #started(g, e) {
    if (!g.started && Math.hypot(e.clientX - g.down[0], e.clientY - g.down[1]) >= g.tap) {
      g.started = true;
      this.hooks.drawing(true, g.mark);
    }
    return g.started;
  }

  #move(e) {
    if (this.#touches.has(e.pointerId)) this.#touches.set(e.pointerId, [e.clientX, e.clientY]);
    const g = this.#gesture;
    const at = this.#at(e);
    if (this.tool === "laser" && !g && this.hooks.canDraw()) {
      this.hooks.pointer(at[0], at[1], true);
      return;
    }
    if (!g) return;
    if (g.kind === "pinch") return this.#pinch();
    if (g.kind === "pan") {
      this.viewer.panBy(e.clientX - g.x, e.clientY - g.y);
      Object.assign(g, { x: e.clientX, y: e.clientY });
    } else if (g.kind === "move") {
      [g.dx, g.dy] = [at[0] - g.from[0], at[1] - g.from[1]];
      this.hooks.redraw();
    } else if (g.kind === "erase") {
      this.#erase(at);
    } else if (g.kind === "draw") {
      const events = e.getCoalescedEvents?.() ?? [e];
      for (const ev of events.length ? events : [e]) {
        this.#extend(g, ev);
        this.#started(g, ev);
      }
      if (g.started) this.hooks.draft(g.mark, false);
      this.hooks.redraw();
    }
  }

  #up(e, cancelled = false) {
    this.#touches.delete(e.pointerId);
    const g = this.#gesture;
    if (!g) return;
    if (g.kind === "pinch") {
      if (this.#touches.size < 2) this.#gesture = null;
      return;
    }
    this.#gesture = null;
    if (g.kind === "pan") this.#cursor();
    if (g.kind === "move" && (g.dx || g.dy) && !cancelled) {
      this.hooks.move(g.id, g.note.shape, moved(g.note.shape, g.dx, g.dy));
    }
    if (g.kind === "erase" && g.ids.size && !cancelled) this.hooks.erase([...g.ids]);
    if (g.kind === "draw" && g.started) {
      this.hooks.drawing(false, g.mark);
      if (!cancelled && !degenerate(g.mark.shape)) this.hooks.commit(g.mark);
      this.hooks.draft(g.mark, true);
    }
    this.hooks.redraw();
  }

  #startShape(at, e) {
    const p = [at[0], at[1]];
    switch (this.tool) {
      case "pen":
        return { kind: "stroke", points: [withPressure(p, e)] };
      case "line":
      case "arrow":
        return { kind: this.tool, start: p, end: p };
      default:
        return { kind: this.tool, min: p, max: p };
    }
  }

  #extend(g, e) {
    const at = this.#at(e);
    const shape = g.mark.shape;
    if (shape.kind === "stroke") {
      if (Math.hypot(e.clientX - g.last[0], e.clientY - g.last[1]) < PEN_STEP_PX) return;
      if (shape.points.length >= this.hooks.maxPoints()) return;
      g.last = [e.clientX, e.clientY];
      shape.points = [...shape.points, withPressure(at, e)];
    } else if (shape.kind === "line" || shape.kind === "arrow") {
      shape.end = at;
    } else {
      shape.min = [Math.min(g.from[0], at[0]), Math.min(g.from[1], at[1])];
      shape.max = [Math.max(g.from[0], at[0]), Math.max(g.from[1], at[1])];
    }
  }

  #pick(at, onlyMine) {
    const tol = this.viewer.oriOf(PICK_PX);
    let best = null;
    for (const note of this.hooks.visibleNotes()) {
      if (onlyMine && !this.hooks.mine(note)) continue;
      const d = distance(note.shape, at) - (note.style?.width ?? 0) / 2;
      if (d <= tol && (!best || d <= best.d)) best = { note, d };
    }
    return best?.note ?? null;
  }

  #startMove(at) {
    const note = this.#pick(at, false);
    this.selected = note?.id ?? null;
    if (note && this.hooks.mine(note)) this.#gesture = { kind: "move", id: note.id, note, from: at, dx: 0, dy: 0 };
    this.hooks.changed();
    this.hooks.redraw();
  }

  #erase(at) {
    const note = this.#pick(at, true);
    if (note && !this.#gesture.ids.has(note.id)) {
      this.#gesture.ids.add(note.id);
      this.hooks.redraw();
    }
  }

  #openText(e, at) {
    this.#closeText(true);
    const anchor = this.hooks.canMark();
    if (!anchor) return;
    // Typing takes a while: the text is about the frame clicked on, held while it is typed.
    this.hooks.holdView(anchor);
    const input = this.textInput;
    const size = Math.max(DEFAULT_TEXT_SIZE / 2, Math.min(0.12, this.width * 10));
    const px = size * this.viewer.scale;
    const stage = this.viewer.stage.getBoundingClientRect();
    this.#textAt = { at, size, anchor };
    Object.assign(input.style, {
      left: `${e.clientX - stage.left}px`,
      top: `${e.clientY - stage.top - px * 0.9}px`,
      fontSize: `${px}px`,
      color: `rgb(${this.color.slice(0, 3).map((v) => Math.round(v * 255))})`,
    });
    input.value = "";
    input.hidden = false;
    setTimeout(() => input.focus(), 0);
  }

  #textKey(e) {
    e.stopPropagation();
    if (e.key === "Enter") this.#closeText(true);
    if (e.key === "Escape") this.#closeText(false);
  }

  #closeText(keep) {
    const input = this.textInput;
    if (input.hidden || !this.#textAt) return;
    const text = input.value.trim();
    const { at, size, anchor } = this.#textAt;
    this.#textAt = null;
    input.hidden = true;
    input.blur();
    if (!keep || !text) return;
    this.hooks.commit({
      id: uuid(),
      anchor,
      shape: { kind: "text", at, text, size },
      style: { color: [...this.color], width: this.width },
      text,
    });
  }

  #wheel(e) {
    e.preventDefault();
    const lines = e.deltaMode === 1 ? 16 : e.deltaMode === 2 ? 400 : 1;
    const speed = e.ctrlKey ? 0.01 : 0.0015; // ctrl: a trackpad pinch reported as a wheel
    this.viewer.zoomAt(Math.exp(-e.deltaY * lines * speed), e.clientX, e.clientY);
  }

  #startPinch() {
    if (this.#gesture?.kind === "draw") this.cancel();
    const [a, b] = [...this.#touches.values()];
    this.#gesture = { kind: "pinch", dist: Math.hypot(a[0] - b[0], a[1] - b[1]), mid: midpoint(a, b) };
  }

  #pinch() {
    const g = this.#gesture;
    const [a, b] = [...this.#touches.values()];
    if (!a || !b) return;
    const dist = Math.hypot(a[0] - b[0], a[1] - b[1]);
    const mid = midpoint(a, b);
    this.viewer.panBy(mid[0] - g.mid[0], mid[1] - g.mid[1]);
    if (g.dist > 0) this.viewer.zoomAt(dist / g.dist, mid[0], mid[1]);
    Object.assign(g, { dist, mid });
  }

  #safariPinch(el) {
    let last = 1;
    el.addEventListener("gesturestart", (e) => {
      e.preventDefault();
      last = 1;
    });
    el.addEventListener("gesturechange", (e) => {
      e.preventDefault();
      this.viewer.zoomAt(e.scale / last, e.clientX, e.clientY);
      last = e.scale;
    });
  }
}

function withPressure(p, e) {
  // Mice report 0.5 while pressed; only pens (and pressure-sensing touch) carry real pressure.
  const real = e.pointerType === "pen" || (e.pointerType === "touch" && e.pressure > 0 && e.pressure !== 0.5);
  return real ? [p[0], p[1], Math.round(e.pressure * 1000) / 1000] : [p[0], p[1]];
}

function degenerate(shape) {
  if (shape.kind === "stroke") return false;
  const [a, b] = shape.kind === "line" || shape.kind === "arrow" ? [shape.start, shape.end] : [shape.min, shape.max];
  return Math.hypot(a[0] - b[0], a[1] - b[1]) < 1e-4;
}

function midpoint(a, b) {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
}

function boundsPx(shape, map) {
  const [x0, y0, x1, y1] = bounds(shape);
  return [...map.pt(x0, y1), ...map.pt(x1, y0)];
}
