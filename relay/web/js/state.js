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
  // The notes shown: the relay's (below) with our own events not acknowledged yet on top.
  notes = new Map();
  // Ids of notes deleted in this session (the snapshot's tombstones and later deletes).
  deleted = new Set();
  // The notes as the relay stores them: its snapshot, its events, and ours once acknowledged.
  #stored = new Map();
  #storedDeleted = new Set();
  // The chat in the relay's order (the rule in core/protocol/events.py, "Chat order"): by
  // seq, with our lines not acknowledged yet at the end, in the order sent.
  chat = [];
  // The seq of each line of `chat` by its id (null: not known yet).
  #chatSeq = new Map();
  // Ids of our chat lines shown with this page's guess of their time, until the relay says.
  #guessed = new Set();
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
      case "draft":
        this.#draft(d, msg.from);
        return;
      case "pointer":
        return this.emit("pointer", d);
      default:
        if (this.#event(msg.type, d, false, msg.seq)) this.#changed(msg.type);
    }
  }

  /** Our own persisted event, shown at once; the relay's ack fills in what it adds. */
  applyOwn(type, data) {
    if (this.#event(type, data, true)) this.#changed(type);
  }

  /**
   * The relay stored our event (`item`, already out of the outbox). A note event joins the
   * stored notes with what the relay wrote into it (`ack.filled`: author, its time, the
   * image), unless it is a duplicate: then the relay had it already, and so has the snapshot
   * or the events since, which our copy shown on top of them must not outlive.
   */
  onAck(ack, item) {
    if (!item) return;
    const id = noteId(item.type, item.data);
    if (id) {
      const known = this.#stored.has(id) || this.#storedDeleted.has(id);
      if (!ack.duplicate || !known) {
        const body = this.#asStored(item.type, item.data, ack.filled);
        applyNote(this.#stored, this.#storedDeleted, item.type, body);
      }
      this.#show(id);
      if (!this.outbox.entries().some((i) => noteId(i.type, i.data) === id)) this.pending.delete(id);
    } else if (item.type === "chat" && this.#guessed.delete(item.data.id)) {
      const line = this.chat.find((c) => c.id === item.data.id);
      if (line) this.#placeChat(ack.filled ? { ...line, ...ack.filled } : line, ack.seq);
    }
    this.#changed(item.type);
  }

  /** Note `id` as stored, with our unacknowledged events about it on top. */
  #show(id) {
    const shown = this.notes.get(id);
    const stored = this.#stored.get(id);
    if (stored) this.notes.set(id, stored);
    else this.notes.delete(id);
    if (this.#storedDeleted.has(id)) this.deleted.add(id);
    else this.deleted.delete(id);
    for (const item of this.outbox.entries()) {
      if (noteId(item.type, item.data) !== id) continue;
      applyNote(this.notes, this.deleted, item.type, this.#asStored(item.type, item.data, null, shown));
    }
  }

  /**
   * Our note event as the relay stores it: coordinates rounded and, for a new note, the
   * author and time the relay wrote (`filled`), or until it says, this page and the time it
   * was first shown (`shown`).
   */
  #asStored(type, d, filled, shown) {
    if (type === "annotation_update" && d.shape) return { ...d, shape: rounded(d.shape) };
    if (type !== "annotation_add") return d;
    const { image, ...fields } = filled ?? {
      author: this.me.id,
      author_name: this.me.name,
      created: shown?.created ?? Date.now() / 1000,
    };
    const a = d.annotation;
    const anchor = image ? { ...a.anchor, image } : a.anchor;
    return { annotation: { ...a, ...fields, anchor, shape: rounded(a.shape) } };
  }

  /**
   * Puts chat line `line` (in place of any line of its id) where the relay stored it: after
   * every line of lower seq, before every line of higher seq and our lines of none yet.
   * Without a seq (ours, not acknowledged) it goes at the end.
   */
  #placeChat(line, seq) {
    const known = typeof seq === "number" ? seq : null;
    const kept = this.chat.filter((c) => c.id !== line.id);
    let at = kept.length;
    while (known !== null && at > 0) {
      const before = this.#chatSeq.get(kept[at - 1].id);
      if (before !== null && before <= known) break;
      at -= 1;
    }
    kept.splice(at, 0, line);
    this.chat = kept;
    this.#chatSeq.set(line.id, known);
  }

  #changed(type) {
    this.emit(type === "chat" ? "chat" : type === "session" ? "session" : "notes");
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
      this.#stored = new Map((d.annotations ?? []).map((a) => [a.id, a]));
      this.#storedDeleted = new Set((d.deleted ?? []).filter((id) => !this.#stored.has(id)));
      this.notes = new Map(this.#stored);
      this.deleted = new Set(this.#storedDeleted);
      this.chat = [...(d.chat ?? [])];
      this.#chatSeq = new Map(this.chat.map((c) => [c.id, d.seq ?? 0]));
      this.#guessed.clear();
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
    for (const a of d.annotations ?? []) {
      this.#stored.set(a.id, a);
      this.#storedDeleted.delete(a.id);
      this.notes.set(a.id, a);
      this.deleted.delete(a.id);
    }
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

  /**
   * Applies a persisted event to notes, chat or the session; true when something changed.
   * Another's note event changes the stored notes, and the note is shown again with ours on
   * top; our own is shown at once, as the relay will store it.
   */
  #event(type, d, own, seq) {
    const me = this.me;
    const id = noteId(type, d);
    if (id) {
      if (type === "annotation_add") this.drafts.delete(id);
      if (own) {
        if (!applyNote(this.notes, this.deleted, type, this.#asStored(type, d, null))) return false;
        this.pending.add(id);
        return true;
      }
      if (!applyNote(this.#stored, this.#storedDeleted, type, d)) return false;
      this.#show(id);
      return true;
    }
    switch (type) {
      case "chat": {
        // A line is kept once, by its id: the relay's copy replaces our guess of it.
        if (this.#chatSeq.has(d.id) && (own || !this.#guessed.delete(d.id))) return false;
        if (own) this.#guessed.add(d.id);
        this.#placeChat(own ? { ...d, author: me.id, author_name: me.name, ts: Date.now() / 1000 } : d, own ? null : seq);
        return true;
      }
      case "session":
        // The relay acknowledges, not echoes, the host's own change: the same either way.
        this.session = { ...this.session, ...d };
        return true;
      default:
        return false;
    }
  }
}

/** A stored note event applied to `notes` and `deleted`; false when it changes nothing. */
function applyNote(notes, deleted, type, d) {
  switch (type) {
    case "annotation_add":
      notes.set(d.annotation.id, d.annotation);
      deleted.delete(d.annotation.id);
      return true;
    case "annotation_update": {
      const note = notes.get(d.id);
      if (!note) return false;
      const { id, clear, ...changes } = d;
      notes.set(id, cleared({ ...note, ...changes }, clear));
      return true;
    }
    case "annotation_delete":
      if (!notes.delete(d.id)) return false;
      deleted.add(d.id);
      return true;
    default:
      return false;
  }
}

/** Decimals the relay keeps of a coordinate (COORD_DECIMALS in core/protocol/events.py). */
const COORD_DECIMALS = 5;
// A value exactly halfway between two of those (its exact decimal digits end in 5).
const TIE = new RegExp(`\\.\\d{${COORD_DECIMALS}}50*$`);

/** `v` rounded as Python's round(v, COORD_DECIMALS): to the nearest, an exact tie to even. */
function roundCoord(v) {
  // toFixed rounds the exact binary value (a tie away from zero); 20 digits show a tie whole.
  if (!TIE.test(Math.abs(v).toFixed(20))) return Number(v.toFixed(COORD_DECIMALS));
  const scale = 10 ** COORD_DECIMALS;
  const down = Math.floor(Math.abs(v) * scale); // exact: a tie has few binary digits
  return (Math.sign(v) * (down % 2 ? down + 1 : down)) / scale;
}

/** A shape with its coordinates rounded as the relay stores them. */
function rounded(shape) {
  const out = { ...shape };
  if (shape.points) out.points = shape.points.map((p) => p.map(roundCoord));
  for (const key of ["start", "end", "min", "max", "at"]) if (shape[key]) out[key] = shape[key].map(roundCoord);
  return out;
}

/** `note` without the fields an update's `clear` names ("text", "anchor.duration"). */
function cleared(note, clear) {
  if (!clear?.length) return note;
  const out = { ...note };
  for (const path of clear) {
    const [head, field] = path.split(".");
    if (field === undefined) delete out[head];
    else if (out[head]) {
      const { [field]: _gone, ...rest } = out[head];
      out[head] = rest;
    }
  }
  return out;
}

/** The note a persisted event is about (null for chat and session events). */
export function noteId(type, data) {
  if (type === "annotation_add") return data.annotation.id;
  if (type === "annotation_update" || type === "annotation_delete") return data.id;
  return null;
}
