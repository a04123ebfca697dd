// Making, changing and removing notes, and undo/redo of one's own: add -> delete, delete ->
// restore (annotation_add with the same id and a fresh eid), move -> move back.

export class Notes {
  #undo = [];
  #redo = [];

  constructor(conn, state, onChange) {
    this.conn = conn;
    this.state = state;
    this.onChange = onChange;
  }

  /** May this participant change or delete the note (author or host)? */
  mine(note) {
    return this.state.role === "host" || note.author === this.state.me?.id;
  }

  add(note) {
    this.#submit("annotation_add", { annotation: note });
    this.#record({ kind: "add", notes: [note] });
    return note;
  }

  move(id, before, after) {
    this.#submit("annotation_update", { id, shape: after });
    this.#record({ kind: "move", id, before, after });
  }

  remove(ids) {
    const notes = ids.map((id) => this.state.notes.get(id)).filter((n) => n && this.mine(n));
    if (!notes.length) return;
    for (const n of notes) this.#submit("annotation_delete", { id: n.id });
    this.#record({ kind: "delete", notes: notes.map(stored) });
  }

  /** New words for a note; none takes its words away (the protocol's clear). */
  setText(id, text) {
    this.#submit("annotation_update", text ? { id, text } : { id, clear: ["text"] });
  }

  /** A new anchor (the whole object: the relay replaces it), e.g. another frame range. */
  setAnchor(id, anchor) {
    this.#submit("annotation_update", { id, anchor });
  }

  setStatus(id, status) {
    this.#submit("annotation_update", { id, status });
  }

  get canUndo() {
    return this.#undo.length > 0;
  }

  get canRedo() {
    return this.#redo.length > 0;
  }

  undo() {
    this.#replay(this.#undo, this.#redo, true);
  }

  redo() {
    this.#replay(this.#redo, this.#undo, false);
  }

  /** Takes the latest step of `from`, applies it (backwards for an undo), keeps it in `to`. */
  #replay(from, to, backwards) {
    const step = from.pop();
    if (!step) return;
    this.#apply(step, backwards);
    to.push(step);
    this.onChange();
  }

  #apply(step, backwards) {
    if (step.kind === "move") {
      if (this.state.notes.has(step.id)) {
        this.#submit("annotation_update", { id: step.id, shape: backwards ? step.before : step.after });
      }
      return;
    }
    const restore = (step.kind === "add") === !backwards;
    // What goes away now comes back later as it is now (its words may have changed since).
    if (!restore) step.notes = step.notes.map((n) => stored(this.state.notes.get(n.id) ?? n));
    for (const note of step.notes) {
      const exists = this.state.notes.has(note.id);
      if (restore && !exists) this.#submit("annotation_add", { annotation: note });
      if (!restore && exists) this.#submit("annotation_delete", { id: note.id });
    }
  }

  #record(step) {
    this.#undo.push(step);
    this.#redo = [];
    this.onChange();
  }

  #submit(type, data) {
    this.state.applyOwn(type, data);
    this.conn.submit(type, data);
  }
}

/** A note as its author sends it again (the relay fills in author fields and the time). */
function stored(note) {
  const { author, author_name, created, ...rest } = note;
  return rest;
}
