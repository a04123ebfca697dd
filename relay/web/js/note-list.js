// The notes of the session, by frame: who made each, its kind, frames and words; jump to its
// frame, write or change its words and its frame range (own notes), mark it done, delete it.

import { clockTime, el, icon, personColor } from "./dom.js";
import { MAX_NOTE_FRAMES, anchorOver, frameSpan, holds, lastFrame } from "./protocol.js";
import { cssColor } from "./shapes.js";

const KINDS = { stroke: "drawing", line: "line", arrow: "arrow", rect: "box", ellipse: "ellipse", text: "text" };

export class NoteList {
  #editing = null;

  constructor(root, state, notes, { goto, currentFrame, selected, play }) {
    this.root = root;
    this.state = state;
    this.notes = notes;
    Object.assign(this, { goto, currentFrame, selected, play });
    state.on("notes", () => this.render());
  }

  render() {
    if (this.#editing && this.root.contains(document.activeElement)) return;
    this.#editing = null;
    const frame = this.currentFrame();
    const order = (a, b) => a.anchor.frame - b.anchor.frame || (a.created ?? 0) - (b.created ?? 0);
    const list = [...this.state.notes.values()].sort(order);
    document.getElementById("notes-count").textContent = String(list.length);
    if (!list.length) {
      this.root.replaceChildren(el("li", { className: "empty" }, "No notes yet. Draw on the frame to make one."));
      return;
    }
    this.root.replaceChildren(...list.map((n) => this.#row(n, holds(n.anchor, frame))));
  }

  /** Highlights the notes of the frame on screen (cheaper than a render on every frame). */
  markFrame(frame) {
    for (const row of this.root.children) {
      const { frame: first, last } = row.dataset;
      row.classList.toggle("here", frame >= Number(first) && frame <= Number(last ?? first));
    }
  }

  #row(note, here) {
    const mine = this.notes.mine(note);
    const canDraw = this.state.canDraw;
    const pending = this.state.pending.has(note.id);
    const done = note.status === "done";
    const classes = ["note", here && "here", done && "done", this.selected() === note.id && "selected"];
    return el(
      "li",
      {
        className: classes.filter(Boolean).join(" "),
        dataset: { id: note.id, frame: note.anchor.frame, last: lastFrame(note.anchor) },
      },
      el(
        "div",
        { className: "note-head" },
        el(
          "button",
          { className: "frame-link", title: `Go to frame ${note.anchor.frame}`, onclick: () => this.goto(note) },
          frameSpan(note.anchor),
        ),
        el("span", { className: "swatch", style: { background: cssColor(note.style?.color) } }),
        el("span", { className: "kind" }, note.audio ? "voice" : (KINDS[note.shape.kind] ?? note.shape.kind)),
        el("span", { className: "author", style: { color: personColor(note.author) } }, note.author_name ?? "someone"),
        el("time", {}, pending ? "sending…" : clockTime(note.created)),
      ),
      note.audio && this.play ? el("div", { className: "note-audio" }, this.play(note)) : null,
      note.text ? el("p", { className: "note-text" }, note.text) : null,
      canDraw ? this.#actions(note, mine, done) : null,
    );
  }

  #actions(note, mine, done) {
    const button = (title, onclick, name, label, className = "") =>
      el("button", { title, onclick, className }, icon(name), label);
    const edit = (e) => this.#edit(note, e.currentTarget);
    const status = () => this.notes.setStatus(note.id, done ? "open" : "done");
    const remove = () => this.notes.remove([note.id]);
    const words = note.text ? ["Change the words", "Edit"] : ["Add words to this note", "Add words"];
    const range = (e) => this.#editRange(note, e.currentTarget);
    const endHere = () => this.#endAt(note, this.currentFrame());
    return el(
      "div",
      { className: "note-actions" },
      mine ? button(words[0], edit, "edit", words[1]) : null,
      mine ? button("Set the frames this note holds", range, "range", "Frames", "range-button") : null,
      mine ? button("End this note's range at the frame on screen", endHere, "range", "End here", "end-here") : null,
      button(done ? "Open again" : "Mark done", status, "check", done ? "Reopen" : "Done"),
      mine ? button("Delete this note", remove, "trash", "Delete", "danger") : null,
    );
  }

  /** The note's range ends at `frame` (or, before its first frame, starts there). */
  #endAt(note, frame) {
    const a = note.anchor;
    if (!Number.isInteger(frame) || frame === lastFrame(a)) return;
    const anchor = frame >= a.frame ? anchorOver(a, a.frame, frame) : anchorOver(a, frame, lastFrame(a));
    this.notes.setAnchor(note.id, anchor);
  }

  /** The range editor: "to frame N" or "hold N frames", kept in step; Enter applies. */
  #editRange(note, button) {
    const row = button.closest("li");
    const first = note.anchor.frame;
    const number = (className, value, min, max, label) => {
      const input = el("input", { className, type: "number", value: String(value), min: String(min), max: String(max) });
      input.setAttribute("aria-label", label);
      return input;
    };
    const to = number("range-to", lastFrame(note.anchor), first, first + MAX_NOTE_FRAMES - 1, "Last frame");
    const hold = number("range-hold", lastFrame(note.anchor) - first + 1, 1, MAX_NOTE_FRAMES, "Frames held");
    const finish = (save) => {
      this.#editing = null;
      if (save) {
        const last = Number(to.value);
        if (!Number.isInteger(last) || last < first || last > first + MAX_NOTE_FRAMES - 1) {
          to.setCustomValidity(`a frame from ${first} to ${first + MAX_NOTE_FRAMES - 1}`);
          to.reportValidity();
          this.#editing = note.id;
          return;
        }
        if (last !== lastFrame(note.anchor)) this.notes.setAnchor(note.id, anchorOver(note.anchor, first, last));
      }
      this.render();
    };
    to.addEventListener("input", () => {
      to.setCustomValidity("");
      if (Number.isInteger(Number(to.value)) && to.value !== "") hold.value = String(Number(to.value) - first + 1);
    });
    hold.addEventListener("input", () => {
      if (Number.isInteger(Number(hold.value)) && hold.value !== "") to.value = String(first + Number(hold.value) - 1);
    });
    const box = el(
      "div",
      { className: "range-editor" },
      el("label", {}, `${first} to `, to),
      el("label", {}, "hold ", hold, " frames"),
      el("button", { className: "range-apply", onclick: () => finish(true) }, "Set"),
      el("button", { onclick: () => finish(false) }, "Cancel"),
    );
    box.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Enter") {
        e.preventDefault();
        finish(true);
      } else if (e.key === "Escape") {
        finish(false);
      }
    });
    this.#editing = note.id;
    row.querySelector(".range-editor")?.remove();
    row.querySelector(".note-actions").before(box);
    to.focus();
    to.select();
  }

  #edit(note, button) {
    const row = button.closest("li");
    const box = el("textarea", { className: "note-editor", rows: 2, placeholder: "What should change here?" });
    box.maxLength = this.state.limits.max_text_chars;
    box.value = note.text ?? "";
    const finish = (save) => {
      this.#editing = null;
      const text = box.value.trim();
      if (save && text !== (note.text ?? "")) this.notes.setText(note.id, text);
      this.render();
    };
    box.addEventListener("keydown", (e) => {
      e.stopPropagation();
      if (e.key === "Enter" && !e.shiftKey) {
        e.preventDefault();
        finish(true);
      } else if (e.key === "Escape") {
        finish(false);
      }
    });
    box.addEventListener("blur", () => this.#editing === note.id && finish(true));
    this.#editing = note.id;
    row.querySelector(".note-text")?.remove();
    row.querySelector(".note-actions").before(box);
    box.focus();
  }
}
