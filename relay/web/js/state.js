// The session as this page knows it: people, notes, chat, playhead, lease, stream, drafts.
// Relay messages and our own not-yet-acknowledged events both land here; views listen for
// "people", "notes", "chat", "playhead", "lease", "stream", "session", "drafts", "pointer".

import { Emitter } from "./emitter.js";

// A finished draft stays until its note arrives, at most this long (docs/protocol.md, draft).
const DRAFT_GRACE_MS = 1200;
// A draft not updated for this long is dropped (its sender stopped without saying so).
const DRAFT_STALE_MS = 5000;

export class SessionState extends Emitter {
  me = null;
  session = null;
  limits = {};
  capabilities = new Set();
  people = new Map();
  notes = new Map();
  chat = [];
  playhead = null;
  driver = null;
  requestedBy = null;
  stream = null;
  // Ids of notes whose own events the relay has not acknowledged yet.
  pending = new Set();
  // Marks others are drawing: mark id -> {from, frame, shape, style, done, at}.
  drafts = new Map();
  // Pages of a full snapshot's notes still to come before `synced`.
  #pagesLeft = 0;

  constructor(outbox) {
    super();
    this.outbox = outbox;
  }

  get role() {
    return this.me?.role ?? null;
  }

  get canDraw() {
    return this.role === "host" || this.role === "reviewer";
  }

  get driving() {
    return !!this.me && this.driver === this.me.id;
  }

  name(pid) {
    return this.people.get(pid)?.name ?? "someone";
  }

  onWelcome(data) {
    this.me = data.participant;
    this.session = data.session;
    this.limits = data.limits ?? {};
    this.capabilities = new Set(data.capabilities ?? []);
  }

  /** A message from the relay. */
  apply(msg) {
    const d = msg.data ?? {};
    switch (msg.type) {
      case "snapshot":
        return this.#snapshot(d);
      case "snapshot_page":
        return this.#snapshotPage(d);
      case "join":
        this.people.set(d.participant.id, d.participant);
        return this.emit("people");
      case "leave":
        if (!d.id) return;
        this.people.delete(d.id);
        for (const [id, draft] of this.drafts) if (draft.from === d.id) this.drafts.delete(id);
        this.emit("people");
        this.emit("pointer", { id: d.id, visible: false });
        return this.emit("drafts");
      case "presence": {
        const who = this.people.get(d.id);
        if (who) this.people.set(d.id, { ...who, state: d.state, following: d.following });
        return this.emit("people");
      }
      case "stream":
        this.stream = d;
        return this.emit("stream");
      case "playhead":
        this.#setPlayhead(d);
        return;
      case "lease":
        this.#lease(d);
        return;
      case "session":
        this.session = { ...this.session, ...d };
        return this.emit("session");
      case "draft":
        this.#draft(d, msg.from);
        return;
      case "pointer":
        return this.emit("pointer", d);
      default:
        if (this.#event(msg.type, d, false)) this.emit(msg.type === "chat" ? "chat" : "notes");
    }
  }

  /** Our own persisted event, shown at once; the relay's ack fills in what it adds. */
  applyOwn(type, data) {
    if (this.#event(type, data, true)) this.emit(type === "chat" ? "chat" : "notes");
  }

  onAck(ack, item) {
    if (!item) return;
    const id = noteId(item.type, item.data);
    if (item.type === "annotation_add" && ack.filled) {
      const note = this.notes.get(id);
      if (note) {
        const { image, ...rest } = ack.filled;
        const anchor = image ? { ...note.anchor, image } : note.anchor;
        this.notes.set(id, { ...note, ...rest, anchor });
      }
    } else if (item.type === "chat" && ack.filled) {
      const line = this.chat.find((c) => c.id === item.data.id);
      if (line) Object.assign(line, ack.filled);
    }
    if (id && !this.outbox.entries().some((i) => noteId(i.type, i.data) === id)) {
      this.pending.delete(id);
    }
    this.emit(item.type === "chat" ? "chat" : "notes");
  }

  /** After a full snapshot: our unacknowledged events again on top of it. */
  #reapply() {
    for (const item of this.outbox.entries()) this.#event(item.type, item.data, true);
    this.emit("notes");
    this.emit("chat");
  }

  /** Drafts still worth drawing (finished ones linger until their note arrives). */
  liveDrafts(now = performance.now()) {
    for (const [id, draft] of this.drafts) {
      const gone = draft.done ? now - draft.at > DRAFT_GRACE_MS : now - draft.at > DRAFT_STALE_MS;
      if (gone || this.notes.has(id)) this.drafts.delete(id);
    }
    return [...this.drafts.values()];
  }

  #snapshot(d) {
    this.session = d.session;
    this.people = new Map(d.participants.map((p) => [p.id, p]));
    if (this.me) this.people.set(this.me.id, this.me);
    this.stream = d.stream ?? this.stream;
    this.#lease({ holder: d.driver });
    if (d.playhead) this.#setPlayhead(d.playhead);
    if (d.full) {
      this.notes = new Map((d.annotations ?? []).map((a) => [a.id, a]));
      this.chat = [...(d.chat ?? [])];
      this.pending.clear();
      // A paged snapshot: the notes follow in `pages` messages; ours go on top after them.
      this.#pagesLeft = d.pages ?? 0;
      if (!this.#pagesLeft) this.#reapply();
    }
    this.emit("people");
    this.emit("stream");
    this.emit("session");
  }

  #snapshotPage(d) {
    if (!this.#pagesLeft) return;
    for (const a of d.annotations ?? []) this.notes.set(a.id, a);
    this.#pagesLeft -= 1;
    if (!this.#pagesLeft) this.#reapply();
  }

  #setPlayhead(d) {
    this.playhead = d;
    this.emit("playhead");
  }

  #lease(d) {
    if (d.requested_by) {
      this.requestedBy = d.requested_by;
    } else {
      this.driver = d.holder ?? null;
      this.requestedBy = null;
    }
    this.emit("lease");
  }

  #draft(d, from) {
    const now = performance.now();
    const old = this.drafts.get(d.id);
    if (d.done) {
      if (old) this.drafts.set(d.id, { ...old, done: true, at: now });
    } else if (!this.notes.has(d.id)) {
      this.drafts.set(d.id, { ...d, from, at: now });
    }
    this.emit("drafts");
  }

  /** Applies a persisted event to notes or chat; true when something changed. */
  #event(type, d, own) {
    const me = this.me;
    switch (type) {
      case "annotation_add": {
        const a = own
          ? { ...d.annotation, author: me.id, author_name: me.name, created: Date.now() / 1000 }
          : d.annotation;
        this.notes.set(a.id, a);
        this.drafts.delete(a.id);
        break;
      }
      case "annotation_update": {
        const note = this.notes.get(d.id);
        if (!note) return false;
        const { id, ...changes } = d;
        this.notes.set(id, { ...note, ...changes });
        break;
      }
      case "annotation_delete":
        if (!this.notes.delete(d.id)) return false;
        break;
      case "chat":
        if (this.chat.some((c) => c.id === d.id)) return false;
        this.chat.push(own ? { ...d, author: me.id, author_name: me.name, ts: Date.now() / 1000 } : d);
        return true;
      default:
        return false;
    }
    if (own) this.pending.add(noteId(type, d));
    return true;
  }
}

/** The note a persisted event is about (null for chat and session events). */
export function noteId(type, data) {
  if (type === "annotation_add") return data.annotation.id;
  if (type === "annotation_update" || type === "annotation_delete") return data.id;
  return null;
}
