// The tool rail: tool buttons (their tooltips name the keys), the style button with its
// popover (colour palette, line width), undo, redo and "clear mine".

import { TOOL_KEYS } from "./keyboard.js";
import { cssColor } from "./shapes.js";

export class Toolbar {
  constructor(rail, tools, notes, { clearMine, imageHeight }) {
    Object.assign(this, { rail, tools, notes, imageHeight });
    this.button = rail.querySelector("#style-button");
    this.popover = document.getElementById("style-popover");
    this.width = this.popover.querySelector("#width");
    const keys = Object.fromEntries(Object.entries(TOOL_KEYS).map(([k, t]) => [t, k.toUpperCase()]));
    for (const b of rail.querySelectorAll("[data-tool]")) {
      b.title = `${b.title} (${keys[b.dataset.tool]})`;
      b.addEventListener("click", () => tools.setTool(b.dataset.tool));
    }
    for (const b of this.popover.querySelectorAll("[data-color]")) {
      const rgba = b.dataset.color.split(",").map(Number);
      b.style.setProperty("--swatch", cssColor(rgba));
      b.addEventListener("click", () => {
        tools.color = rgba;
        this.render();
        this.#open(false);
      });
    }
    this.width.addEventListener("input", () => {
      tools.width = Number(this.width.value);
      this.render();
    });
    this.button.addEventListener("click", () => this.#open(this.popover.hidden));
    addEventListener("pointerdown", (e) => {
      if (!this.popover.hidden && !this.popover.contains(e.target) && !this.button.contains(e.target)) this.#open(false);
    });
    addEventListener("keydown", (e) => e.key === "Escape" && this.#open(false));
    rail.querySelector("#undo").addEventListener("click", () => notes.undo());
    rail.querySelector("#redo").addEventListener("click", () => notes.redo());
    rail.querySelector("#clear-mine").addEventListener("click", clearMine);
  }

  render() {
    const { tools } = this;
    for (const b of this.rail.querySelectorAll("[data-tool]")) {
      b.setAttribute("aria-pressed", String(b.dataset.tool === tools.tool));
    }
    const current = tools.color.join(",");
    for (const b of this.popover.querySelectorAll("[data-color]")) {
      b.setAttribute("aria-pressed", String(b.dataset.color.split(",").map(Number).join(",") === current));
    }
    const px = tools.width * (this.imageHeight() ?? 1080);
    this.popover.querySelector("#width-label").textContent = `${px < 10 ? px.toFixed(1) : Math.round(px)} px`;
    this.button.style.setProperty("--swatch", cssColor(tools.color));
    this.button.style.setProperty("--weight", `${Math.min(14, 4 + tools.width * 400)}px`);
    this.rail.querySelector("#undo").disabled = !this.notes.canUndo;
    this.rail.querySelector("#redo").disabled = !this.notes.canRedo;
  }

  #open(open) {
    this.popover.hidden = !open;
    this.button.setAttribute("aria-expanded", String(open));
    if (!open) return;
    const r = this.button.getBoundingClientRect();
    const top = Math.min(r.top, innerHeight - this.popover.offsetHeight - 8);
    Object.assign(this.popover.style, { left: `${r.right + 8}px`, top: `${Math.max(8, top)}px` });
  }
}
