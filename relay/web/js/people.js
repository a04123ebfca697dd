// Who is here: name, role, who drives, who draws or types, who follows; and each person's layer
// of marks, shown or hidden (people who left but whose notes remain are listed too).

import { el, icon, personColor } from "./dom.js";

const STATES = { drawing: "drawing…", typing: "typing…", away: "away" };

export class PeopleList {
  hidden = new Set();

  constructor(root, state, onLayers) {
    this.root = root;
    this.state = state;
    this.onLayers = onLayers;
    for (const kind of ["people", "lease", "notes"]) state.on(kind, () => this.render());
  }

  render() {
    const { state } = this;
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
    const status = person ? (STATES[person.state] ?? (person.following === false ? "free" : "")) : "left";
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
          status ? el("span", { className: `status status-${person?.state ?? "left"}` }, status) : null,
        ),
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

function rolesFirst(p) {
  return { host: 0, reviewer: 1, viewer: 2 }[p.role] ?? 3;
}
