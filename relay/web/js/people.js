// Who is here: name, role, who drives, who draws or types, who follows; and each person's layer
// of marks, shown or hidden (people who left but whose notes remain are listed too). Over the
// stage, who is drawing right now and on which frame, one click from going there.

import { el, icon, personColor } from "./dom.js";

const STATES = { drawing: "drawing…", typing: "typing…", away: "away" };

export class PeopleList {
  hidden = new Set();
  // Voice in each row (voice-ui.js): `badge(id)` and `controls(id)`, nodes or null.
  voice = null;
  #drawers = new Map();

  constructor(root, state, onLayers) {
    this.root = root;
    this.state = state;
    this.onLayers = onLayers;
    for (const kind of ["people", "lease", "notes"]) state.on(kind, () => this.render());
    // Drafts come many times a second: the list changes only when who draws where does.
    state.on("drafts", () => {
      if (JSON.stringify([...drawersOf(state)]) !== JSON.stringify([...this.#drawers])) this.render();
    });
  }

  render() {
    const { state } = this;
    this.#drawers = drawersOf(state);
    const rows = [...state.people.values()].sort((a, b) => rolesFirst(a) - rolesFirst(b) || a.name.localeCompare(b.name));
    const authors = new Map();
    for (const n of state.notes.values()) if (!state.people.has(n.author)) authors.set(n.author, n.author_name);
    const items = rows.map((p) => this.#row(p.id, p.name, p, false));
    for (const [id, name] of authors) if (id) items.push(this.#row(id, name ?? "someone", null, true));
    this.root.replaceChildren(...items);
    document.getElementById("people-count").textContent = String(rows.length);
  }

  #row(id, name, person, gone) {
    const me = this.state.me?.id === id;
    const shown = !this.hidden.has(id);
    const frame = this.#drawers.get(id);
    const drawing = frame !== undefined && frame !== null ? `drawing on ${frame}` : null;
    const status = person ? (drawing ?? STATES[person.state] ?? (person.following === false ? "free" : "")) : "left";
    return el(
      "li",
      { className: `person${gone ? " gone" : ""}`, dataset: { id } },
      el("span", { className: "dot", style: { background: personColor(id) } }),
      el(
        "span",
        { className: "who" },
        el("span", { className: "name", title: name }, name),
        me ? el("span", { className: "you" }, " (you)") : null,
        el(
          "span",
          { className: "badges" },
          person ? el("span", { className: `badge role-${person.role}` }, person.role) : null,
          this.state.driver === id ? el("span", { className: "badge drives" }, "drives") : null,
          status ? el("span", { className: `status status-${drawing ? "drawing" : (person?.state ?? "left")}` }, status) : null,
          person ? this.voice?.badge(id) : null,
        ),
        person ? this.voice?.controls(id) : null,
      ),
      el(
        "button",
        {
          className: "eye",
          title: `${shown ? "Hide" : "Show"} ${name}'s marks`,
          attrs: { "aria-pressed": String(shown), "aria-label": `${name}'s marks` },
          onclick: () => this.#toggle(id),
        },
        icon(shown ? "eye" : "eye-off"),
      ),
    );
  }

  #toggle(id) {
    if (this.hidden.has(id)) this.hidden.delete(id);
    else this.hidden.add(id);
    this.render();
    this.onLayers();
  }
}

// While a notice shows, how often it looks again (a drawer that went silent drops out).
const NOTICE_RECHECK_MS = 500;

/**
 * "Ana is drawing on 1018" over the stage for each mark others are drawing (from their drafts,
 * which carry the frame the mark is anchored to); a click goes to that frame.
 */
export class DrawingNotice {
  #key = "";
  #timer = 0;

  constructor(stage, state, { goto, currentFrame }) {
    this.state = state;
    this.goto = goto;
    this.currentFrame = currentFrame;
    this.root = el("div", { className: "drawing-notice", attrs: { "aria-live": "polite" } });
    stage.append(this.root);
    for (const kind of ["drafts", "people"]) state.on(kind, () => this.render());
  }

  render() {
    const drawers = drawersOf(this.state);
    const here = this.currentFrame();
    const rows = [...drawers].map(([id, frame]) => [id, this.state.name(id), frame]);
    const key = JSON.stringify([rows, here]);
    clearTimeout(this.#timer);
    if (drawers.size) this.#timer = setTimeout(() => this.render(), NOTICE_RECHECK_MS);
    if (key === this.#key) return;
    this.#key = key;
    this.root.replaceChildren(...rows.map(([id, name, frame]) => this.#item(id, name, frame, here)));
  }

  #item(id, name, frame, here) {
    const text = frame === null ? " is drawing" : ` is drawing on ${frame}`;
    const there = frame === null || frame === here;
    return el(
      "button",
      {
        className: `drawing${there ? " here" : ""}`,
        disabled: there,
        title: there ? `${name} is drawing on the frame on screen` : `Go to frame ${frame}`,
        dataset: { id, frame: frame ?? "" },
        onclick: () => frame !== null && this.goto(frame),
      },
      el("span", { className: "dot", style: { background: personColor(id) } }),
      el("span", { className: "what" }, el("span", { className: "name", title: name }, name), text),
      there ? null : el("span", { className: "go" }, "Go"),
    );
  }
}

/** Who draws where now: participant id -> frame (null when their client names none). */
function drawersOf(state) {
  const found = new Map();
  for (const d of state.liveDrafts()) if (!d.done && d.from) found.set(d.from, d.frame ?? null);
  return found;
}

function rolesFirst(p) {
  return { host: 0, reviewer: 1, viewer: 2 }[p.role] ?? 3;
}
