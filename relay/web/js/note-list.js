// The notes of the session, by frame: who made each, its kind and words; jump to its frame,
// write or change its words (own notes), mark it done, delete it (own notes).

import { clockTime, el, icon, personColor } from "./dom.js";
import { cssColor } from "./shapes.js";

const KINDS = { stroke: "drawing", line: "line", arrow: "arrow", rect: "box", ellipse: "ellipse", text: "text" };

export class NoteList {
  #editing = null;

  constructor(root, state, notes, { goto, currentFrame, selected }) {
    this.root = root;
    this.state = state;
    this.notes = notes;
    Object.assign(this, { goto, currentFrame, selected });
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
    this.root.replaceChildren(...list.map((n) => this.#row(n, n.anchor.frame === frame)));
  }

  /** Highlights the notes of the frame on screen (cheaper than a render on every frame). */
  markFrame(frame) {
    for (const row of this.root.children) row.classList.toggle("here", Number(row.dataset.frame) === frame);
  }

  #row(note, here) {
    const mine = this.notes.mine(note);
    const canDraw = this.state.canDraw;
    const pending = this.state.pending.has(note.id);
    const done = note.status === "done";
    const classes = ["note", here && "here", done && "done", this.selected() === note.id && "selected"];
    return el(
      "li",
      { className: classes.filter(Boolean).join(" "), dataset: { id: note.id, frame: note.anchor.frame } },
      el(
        "div",
        { className: "note-head" },
        el(
          "button",
          { className: "frame-link", title: `Go to frame ${note.anchor.frame}`, onclick: () => this.goto(note) },
          String(note.anchor.frame),
        ),
        el("span", { className: "swatch", style: { background: cssColor(note.style?.color) } }),
        el("span", { className: "kind" }, KINDS[note.shape.kind] ?? note.shape.kind),
        el("span", { className: "author", style: { color: personColor(note.author) } }, note.author_name ?? "someone"),
        el("time", {}, pending ? "sending…" : clockTime(note.created)),
      ),
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
    return el(
      "div",
      { className: "note-actions" },
      mine ? button(words[0], edit, "edit", words[1]) : null,
      button(done ? "Open again" : "Mark done", status, "check", done ? "Reopen" : "Done"),
      mine ? button("Delete this note", remove, "trash", "Delete", "danger") : null,
    );
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
