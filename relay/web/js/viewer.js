// The stage: the frame canvas, the marks canvas over it, and the view (fit, 100%, zoom, pan).
// The view lives in ORI units (scale: CSS pixels per image height; centre: the ORI point at the
// middle of the stage), so a sharper or smaller frame of the same image never moves anything.

import { Emitter } from "./emitter.js";

const MIN_ZOOM = 0.05;
const MAX_ZOOM = 64;

export class Viewer extends Emitter {
  image = null; // {bitmap, width, height, frame, hash, rank}
  size = null; // the last image's {width, height}, kept while a frame is missing
  fitting = true;
  scale = 1;
  center = [0, 0];
  paintMarks = () => {};
  #raf = 0;
  #cssWidth = 1;
  #cssHeight = 1;

  constructor(stage) {
    super();
    this.stage = stage;
    this.frameCanvas = stage.querySelector("#frame-canvas");
    this.marksCanvas = stage.querySelector("#marks-canvas");
    new ResizeObserver(() => this.#resize()).observe(stage);
    this.#resize();
  }

  get dpr() {
    return window.devicePixelRatio || 1;
  }

  /** The canvas size in device pixels: what to ask the host for. */
  deviceSize() {
    return [this.frameCanvas.width, this.frameCanvas.height];
  }

  setImage(image) {
    if (this.image?.bitmap && this.image.bitmap !== image?.bitmap) this.image.bitmap.close();
    this.image = image;
    if (image) this.size = { width: image.width, height: image.height };
    if (this.fitting) this.#fitNow();
    this.requestDraw();
  }

  /** Image aspect (width / height); 16:9 until a frame says otherwise. */
  get aspect() {
    return this.size ? this.size.width / this.size.height : 16 / 9;
  }

  fit() {
    this.fitting = true;
    this.#fitNow();
    this.#changed();
  }

  /** 100%: one pixel of the source (its full height) per device pixel. */
  actual(sourceHeight) {
    this.fitting = false;
    this.scale = (sourceHeight || this.size?.height || this.#cssHeight) / this.dpr;
    this.center = [0, 0];
    this.#changed();
  }

  zoomAt(factor, clientX, clientY) {
    const before = this.toOri(clientX, clientY);
    this.scale = Math.min(Math.max(this.scale * factor, this.#fitScale() * MIN_ZOOM), this.#fitScale() * MAX_ZOOM);
    const after = this.toOri(clientX, clientY);
    this.center = [this.center[0] + before[0] - after[0], this.center[1] + before[1] - after[1]];
    this.fitting = false;
    this.#changed();
  }

  panBy(dx, dy) {
    this.center = [this.center[0] - dx / this.scale, this.center[1] + dy / this.scale];
    this.fitting = false;
    this.#changed();
  }

  /** Zoom relative to the source's pixels (100 = one source pixel per device pixel). */
  percent(sourceHeight) {
    return (this.scale * this.dpr * 100) / (sourceHeight || this.size?.height || 1);
  }

  /** How much larger than "fit" the view is (1 when fitting). */
  get magnification() {
    return this.scale / this.#fitScale();
  }

  toOri(clientX, clientY) {
    const r = this.marksCanvas.getBoundingClientRect();
    const sx = clientX - r.left - this.#cssWidth / 2;
    const sy = clientY - r.top - this.#cssHeight / 2;
    return [this.center[0] + sx / this.scale, this.center[1] - sy / this.scale];
  }

  /** Maps ORI points to device pixels of the canvases, for painting. */
  mapper() {
    const k = this.dpr;
    const [w, h] = [this.#cssWidth, this.#cssHeight];
    const [cx, cy] = this.center;
    const s = this.scale;
    return { pt: (x, y) => [k * (w / 2 + (x - cx) * s), k * (h / 2 - (y - cy) * s)], unit: k * s };
  }

  /** ORI units of `px` CSS pixels (a tolerance for picking marks). */
  oriOf(px) {
    return px / this.scale;
  }

  requestDraw() {
    if (!this.#raf) {
      this.#raf = requestAnimationFrame(() => {
        this.#raf = 0;
        this.#draw();
      });
    }
  }

  #fitScale() {
    return Math.min(this.#cssHeight, this.#cssWidth / this.aspect);
  }

  #fitNow() {
    this.scale = this.#fitScale();
    this.center = [0, 0];
  }

  #changed() {
    this.requestDraw();
    this.emit("view");
  }

  #resize() {
    this.#cssWidth = Math.max(1, this.stage.clientWidth);
    this.#cssHeight = Math.max(1, this.stage.clientHeight);
    for (const c of [this.frameCanvas, this.marksCanvas]) {
      c.width = Math.round(this.#cssWidth * this.dpr);
      c.height = Math.round(this.#cssHeight * this.dpr);
    }
    if (this.fitting) this.#fitNow();
    this.#draw();
    this.emit("resize");
  }

  #draw() {
    const ctx = this.frameCanvas.getContext("2d");
    ctx.clearRect(0, 0, this.frameCanvas.width, this.frameCanvas.height);
    const map = this.mapper();
    const half = this.aspect / 2;
    const [x0, y0] = map.pt(-half, 0.5);
    const [x1, y1] = map.pt(half, -0.5);
    if (!this.image && this.size) {
      // A frame this page does not hold: its place, so marks still sit where they belong.
      ctx.fillStyle = "#2b2b2b";
      ctx.fillRect(x0, y0, x1 - x0, y1 - y0);
    } else if (this.image) {
      // Smooth when shrinking or mildly enlarging; show pixels as squares when zoomed far in.
      ctx.imageSmoothingEnabled = (x1 - x0) / this.image.width < 2;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(this.image.bitmap, x0, y0, x1 - x0, y1 - y0);
    }
    const marks = this.marksCanvas.getContext("2d");
    marks.clearRect(0, 0, this.marksCanvas.width, this.marksCanvas.height);
    this.paintMarks(marks, map);
  }
}
