// Voice notes: hold the voice-note button (or the N key) over a frame to record up to a minute;
// on release the recording goes to the relay (POST .../voice-notes) and a note anchored to that
// frame carries the clip the relay answered. A recording the relay has not taken yet (it is down,
// the network dropped, its disk is full) is kept, in memory and in IndexedDB so a reload keeps
// it too, shown on the frame as "sending…" (with a way to discard it), and sent again with
// back-off until the relay takes it; one the relay refuses for good (too long, not Opus, a
// viewer's) is dropped with the relay's reason. Notes with audio play through one <audio> element
// fed from a blob fetched with the link's token; their play buttons sit on the stage, over each
// note's marker, and in the notes list.

import { el, icon } from "./dom.js";
import { uuid } from "./protocol.js";

// What the page records: Opus in WebM (Chromium, Firefox), else in Ogg; speech-sized.
export const RECORDING_TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus"];
export const BITS_PER_SECOND = 32000;
// Shorter than this is a tap on the button, not a note.
export const SHORTEST_MS = 400;
// Stop a little before the relay's limit, so the measured length stays within it.
export const MARGIN_MS = 400;
// The microphone a voice note records from (as voice itself opens it).
export const NOTE_MIC = { audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true } };
// The marker a voice note draws: a small circle near the frame's top left corner, the next one
// of the same frame beside it (image-height units).
const MARKER_R = 0.022;
const MARKER_STEP = 0.1;
const MARKER_INSET = 0.08;
const KEY = "n";
// Seconds between attempts to send a recording the relay has not taken, growing to the last.
const RETRY_S = [1, 2, 4, 8, 15, 30];
// Where recordings wait for the relay (one record per recording, by its key).
const DB = "overshoulder-voice-notes";
const PENDING = "pending";

/** "0:07" of a number of seconds. */
export function clock(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Plays voice notes, one at a time, and keeps the play buttons that show which plays. */
export class VoicePlayer {
  #blobs = new Map(); // clip id -> Promise of a blob URL
  #buttons = new Set();
  playing = null; // the clip id in the audio element

  constructor({ sid, token, toast }) {
    Object.assign(this, { sid, token, toast });
    this.audio = el("audio", { id: "voice-audio", preload: "none" });
    this.audio.dataset.state = "idle";
    document.body.append(this.audio);
    for (const state of ["playing", "pause", "ended"]) {
      this.audio.addEventListener(state, () => {
        this.audio.dataset.state = state === "pause" && this.audio.ended ? "ended" : state;
        this.#render();
      });
    }
    this.audio.addEventListener("error", () => {
      this.audio.dataset.state = "error";
      this.toast("This voice note could not be played.");
      this.#render();
    });
  }

  /** A play button for a note with audio (in the list, or on the stage). */
  button(note, className = "voice-play") {
    const clip = note.audio;
    const b = el(
      "button",
      { className, title: `Play this voice note (${clock(clip.duration)})`, onclick: (e) => (e.stopPropagation(), this.toggle(clip)) },
      icon("play"),
      el("span", { className: "voice-length" }, clock(clip.duration)),
    );
    b.dataset.clip = clip.id;
    b.setAttribute("aria-pressed", "false");
    // The notes list makes its buttons anew on each render: forget the ones it dropped.
    if (this.#buttons.size > 200) for (const old of this.#buttons) if (!old.isConnected) this.#buttons.delete(old);
    this.#buttons.add(b);
    this.#show(b);
    return b;
  }

  /** Plays the clip, or pauses it if it is the one playing. */
  async toggle(clip) {
    const a = this.audio;
    if (this.playing === clip.id && !a.paused) return a.pause();
    if (this.playing === clip.id && !a.ended && a.currentTime > 0) return a.play();
    try {
      const url = await this.#url(clip);
      this.playing = clip.id;
      a.src = url;
      await a.play();
    } catch (err) {
      this.#blobs.delete(clip.id);
      if (err.name !== "AbortError") this.toast(`Voice note: ${err.message}`);
    }
    this.#render();
  }

  #url(clip) {
    if (!this.#blobs.has(clip.id)) {
      const url = fetch(`/api/sessions/${this.sid}/voice-notes/${clip.id}`, {
        headers: { Authorization: `Bearer ${this.token}` },
      }).then(async (r) => {
        if (!r.ok) throw new Error(await relayMessage(r));
        return URL.createObjectURL(await r.blob());
      });
      this.#blobs.set(clip.id, url);
    }
    return this.#blobs.get(clip.id);
  }

  #render() {
    for (const b of this.#buttons) {
      if (!b.isConnected) this.#buttons.delete(b);
      else this.#show(b);
    }
  }

  #show(b) {
    const on = b.dataset.clip === this.playing && this.audio.dataset.state === "playing";
    b.setAttribute("aria-pressed", String(on));
    b.querySelector("svg use").setAttribute("href", on ? "#i-pause" : "#i-play");
  }
}

/** The play buttons on the stage, one over each voice note's marker on the frame shown. */
export class VoiceMarkers {
  #buttons = new Map(); // note id -> button
  #last = null; // the notes and map of the last placing, to place again when recordings wait

  constructor(stage, player) {
    this.player = player;
    this.layer = el("div", { id: "voice-markers", className: "layer voice-markers" });
    stage.append(this.layer);
    // Recordings not yet taken by the relay (set by the recorder): their note, without audio.
    this.pending = () => [];
  }

  /** Places the buttons again where they were last placed (a recording waits, or was sent). */
  refresh() {
    if (this.#last) this.place(...this.#last);
  }

  /** Places the buttons for `notes` (those on screen) with the stage's `map` (device px). */
  place(notes, map) {
    this.#last = [notes, map];
    const dpr = window.devicePixelRatio || 1;
    const seen = new Set();
    for (const wait of this.pending()) {
      seen.add(wait.note.id);
      let b = this.#buttons.get(wait.note.id);
      if (!b) {
        b = wait.marker;
        this.#buttons.set(wait.note.id, b);
        this.layer.append(b);
      }
      const [px, py] = map.pt(...centre(wait.note.shape));
      b.style.left = `${px / dpr}px`;
      b.style.top = `${py / dpr}px`;
    }
    for (const note of notes) {
      if (!note.audio || seen.has(note.id)) continue; // no audio, or still waiting to be sent
      seen.add(note.id);
      let b = this.#buttons.get(note.id);
      if (!b || b.dataset.clip !== note.audio.id) {
        b?.remove();
        b = this.player.button(note, "voice-play voice-marker");
        b.dataset.note = note.id;
        this.#buttons.set(note.id, b);
        this.layer.append(b);
      }
      const [x, y] = centre(note.shape);
      const [px, py] = map.pt(x, y);
      b.style.left = `${px / dpr}px`;
      b.style.top = `${py / dpr}px`;
    }
    for (const [id, b] of this.#buttons) {
      if (!seen.has(id)) {
        b.remove();
        this.#buttons.delete(id);
      }
    }
  }
}

/**
 * The voice-note button: press and hold to record, release to keep; while it records, a bar on
 * the `stage` says so and counts down the time left. `hooks`: `anchor()` (the
 * anchor of the frame on screen, or null), `holdView(anchor)`, `style()`, `aspect()`,
 * `notesOn(frame)`, `add(note)`, `toast(text)`, `maxSeconds()`; optional: `markers` (the
 * stage's VoiceMarkers, to show recordings that wait for the relay), `frame()` (the frame on
 * screen) and `onLive(cb)` (calls cb when the page's connection is live again).
 */
export class VoiceRecorder {
  #take = null; // the recording under way
  #waiting = new Map(); // key -> a recording the relay has not taken yet
  #db = null; // Promise of the IndexedDB database, or of null where there is none

  constructor(button, stage, { sid, token, ...hooks }) {
    Object.assign(this, { button, sid, token, hooks });
    if (hooks.markers) hooks.markers.pending = () => this.#shown();
    this.#db = openDb();
    this.#resume();
    addEventListener("online", () => this.#sendAllNow());
    hooks.onLive?.(() => this.#sendAllNow()); // the relay is back: no need to wait
    this.countdown = el("span", { className: "voice-countdown" });
    this.where = el("span", { className: "voice-where" });
    this.bar = el(
      "div",
      { id: "voice-recording", className: "voice-recording", hidden: true, attrs: { role: "status" } },
      el("span", { className: "voice-dot" }),
      this.where,
      this.countdown,
      el("span", { className: "voice-hint" }, "release to keep"),
    );
    stage.append(this.bar);
    button.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      button.setPointerCapture(e.pointerId);
      this.start();
    });
    for (const end of ["pointerup", "pointercancel", "lostpointercapture"]) button.addEventListener(end, () => this.stop());
    button.addEventListener("contextmenu", (e) => e.preventDefault());
    addEventListener("keydown", (e) => {
      if (e.key.toLowerCase() !== KEY || e.repeat || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      if (button.closest("[hidden]")) return;
      e.preventDefault();
      this.start();
    });
    addEventListener("keyup", (e) => e.key.toLowerCase() === KEY && this.stop());
    addEventListener("blur", () => this.stop());
  }

  get recording() {
    return this.#take !== null;
  }

  async start() {
    if (this.#take) return;
    const type = RECORDING_TYPES.find((t) => window.MediaRecorder?.isTypeSupported(t));
    if (!type) {
      this.hooks.toast("This browser cannot record Opus audio for a voice note (Chrome, Edge and Firefox can).");
      return;
    }
    const anchor = this.hooks.anchor();
    if (!anchor) return;
    this.hooks.holdView(anchor);
    const take = { anchor, type, chunks: [], started: performance.now(), released: false, recorder: null, stream: null };
    this.#take = take;
    this.#render();
    try {
      take.stream = await navigator.mediaDevices.getUserMedia(NOTE_MIC);
    } catch (err) {
      this.#take = null;
      this.#render();
      this.hooks.toast(`No microphone for a voice note: ${err.message}`);
      return;
    }
    if (take.released) return this.#finish(take);
    const recorder = new MediaRecorder(take.stream, { mimeType: type, audioBitsPerSecond: BITS_PER_SECOND });
    take.recorder = recorder;
    recorder.addEventListener("dataavailable", (e) => e.data.size && take.chunks.push(e.data));
    recorder.addEventListener("stop", () => this.#finish(take));
    take.started = performance.now();
    recorder.start(250);
    const most = this.hooks.maxSeconds() * 1000 - MARGIN_MS;
    take.timer = setInterval(() => {
      if (performance.now() - take.started >= most) this.stop();
      this.#render();
    }, 100);
    this.#render();
  }

  stop() {
    const take = this.#take;
    if (!take || take.released) return;
    take.released = true;
    take.ms = performance.now() - take.started;
    clearInterval(take.timer);
    if (take.recorder && take.recorder.state !== "inactive") take.recorder.stop();
    this.#render();
  }

  async #finish(take) {
    for (const t of take.stream?.getTracks() ?? []) t.stop();
    if (this.#take === take) this.#take = null;
    this.#render();
    if (!take.recorder || take.ms < SHORTEST_MS) {
      this.hooks.toast("Hold the voice-note button (or N) while you speak; release to keep the note.");
      return;
    }
    const container = take.type.split(";")[0];
    const blob = new Blob(take.chunks, { type: container });
    const wait = { key: uuid(), sid: this.sid, anchor: take.anchor, type: container, blob, created: Date.now() };
    wait.noteId = uuid();
    this.#wait(wait);
    this.#store(wait);
    this.#send(wait);
  }

  /** The recordings waiting for the relay (tests read them: key, state, why, blob). */
  get waiting() {
    return [...this.#waiting.values()];
  }

  /** Forgets a recording the relay has not taken (its marker's discard button). */
  discard(key) {
    const wait = this.#waiting.get(key);
    if (!wait) return;
    clearTimeout(wait.timer);
    wait.discarded = true;
    this.#forget(wait);
  }

  #wait(wait) {
    wait.tries = 0;
    wait.state = "sending";
    wait.note = this.#note(wait.anchor, null, [...this.#waiting.values()].filter((w) => w.anchor.frame === wait.anchor.frame).length);
    wait.note.id = wait.noteId;
    const label = el("span", { className: "voice-length" }, "sending…");
    const drop = el(
      "button",
      { className: "voice-discard", title: "Discard this voice note", onclick: (e) => (e.stopPropagation(), this.discard(wait.key)) },
      "×",
    );
    wait.marker = el("div", { className: "voice-play voice-marker voice-pending", attrs: { role: "status" } }, icon("voice-note"), label, drop);
    wait.marker.dataset.pending = wait.key;
    wait.label = label;
    this.#waiting.set(wait.key, wait);
    this.#show(wait);
  }

  #show(wait) {
    const m = wait.marker;
    m.dataset.state = wait.state;
    m.title = wait.why ? `Voice note not sent yet: ${wait.why}. Trying again…` : "Sending this voice note to the relay…";
    this.hooks.markers?.refresh();
  }

  #shown() {
    const frame = this.hooks.frame?.();
    return this.waiting.filter((w) => frame === undefined || w.anchor.frame === frame);
  }

  async #send(wait) {
    if (wait.discarded || wait.inFlight) return;
    wait.inFlight = true;
    clearTimeout(wait.timer);
    let final = null;
    try {
      const r = await fetch(`/api/sessions/${this.sid}/voice-notes`, {
        method: "POST",
        headers: { Authorization: `Bearer ${this.token}`, "Content-Type": wait.type },
        body: wait.blob,
      });
      if (r.status === 201) {
        const { clip } = await r.json();
        if (wait.discarded) return;
        const note = { ...wait.note, audio: clip };
        if (!this.hooks.notesOn(wait.anchor.frame).some((n) => n.id === note.id)) this.hooks.add(note);
        this.#forget(wait);
        return;
      }
      const why = await relayMessage(r);
      // A refusal the same bytes will always get (too long, not Opus, a viewer's, an ended
      // link or session) is final; a busy relay, a full disk or a rate are tried again.
      if (r.status >= 400 && r.status < 500 && r.status !== 408 && r.status !== 429) final = why;
      else wait.why = why;
    } catch (err) {
      wait.why = navigator.onLine === false ? "this computer is offline" : "the relay cannot be reached";
    } finally {
      wait.inFlight = false;
    }
    if (wait.discarded) return;
    if (final !== null) {
      this.hooks.toast(`Voice note not kept: ${final}`);
      this.#forget(wait);
      return;
    }
    wait.state = "waiting";
    const delay = RETRY_S[Math.min(wait.tries, RETRY_S.length - 1)];
    wait.tries += 1;
    wait.timer = setTimeout(() => this.#send(wait), delay * 1000);
    this.#show(wait);
  }

  #sendAllNow() {
    for (const wait of this.#waiting.values()) this.#send(wait);
  }

  #forget(wait) {
    this.#waiting.delete(wait.key);
    wait.marker.remove();
    this.#show(wait);
    this.#db.then((db) => db && tx(db, "readwrite", (s) => s.delete(wait.key))).catch(() => {});
  }

  #store(wait) {
    const { key, sid, anchor, type, blob, created, noteId } = wait;
    this.#db.then((db) => db && tx(db, "readwrite", (s) => s.put({ key, sid, anchor, type, blob, created, noteId }))).catch(() => {});
  }

  /** Sends again what an earlier page of this session left waiting (a reload, a closed tab). */
  async #resume() {
    let kept = [];
    try {
      const db = await this.#db;
      if (db) kept = await tx(db, "readonly", (s) => s.getAll());
    } catch {
      return;
    }
    for (const rec of kept ?? []) {
      if (rec.sid !== this.sid || this.#waiting.has(rec.key) || !(rec.blob instanceof Blob)) continue;
      const wait = { ...rec };
      this.#wait(wait);
      this.#send(wait);
    }
  }

  /** The note: a marker on the frame (beside the frame's other voice notes and those that
   * wait, `before` of them), with the clip. */
  #note(anchor, clip, before = 0) {
    const others = this.hooks.notesOn(anchor.frame).filter((n) => n.audio).length + before;
    const half = this.hooks.aspect() / 2;
    const x = Math.min(half - MARKER_R, -half + MARKER_INSET + (others % 12) * MARKER_STEP);
    const y = 0.5 - MARKER_INSET - Math.floor(others / 12) * MARKER_STEP;
    const r5 = (v) => Math.round(v * 1e5) / 1e5;
    const shape = { kind: "ellipse", min: [r5(x - MARKER_R), r5(y - MARKER_R)], max: [r5(x + MARKER_R), r5(y + MARKER_R)] };
    return { id: uuid(), shape, style: this.hooks.style(), anchor, audio: clip };
  }

  #render() {
    const take = this.#take;
    const b = this.button;
    b.classList.toggle("recording", !!take?.recorder && !take.released);
    b.setAttribute("aria-pressed", String(!!take));
    const left = take?.recorder ? this.hooks.maxSeconds() - (performance.now() - take.started) / 1000 : null;
    this.bar.hidden = left === null || take.released;
    this.where.textContent = take ? `Recording a voice note on frame ${take.anchor.frame}` : "";
    this.countdown.textContent = left === null ? "" : `${clock(left)} left`;
    b.title = take ? "Recording: release to keep this voice note" : "Hold to record a voice note on this frame (or hold N)";
  }
}

function centre(shape) {
  if (shape.min && shape.max) return [(shape.min[0] + shape.max[0]) / 2, (shape.min[1] + shape.max[1]) / 2];
  if (shape.at) return shape.at;
  if (shape.start) return shape.start;
  return shape.points?.[0] ?? [0, 0];
}

/** The database recordings wait in, or null where the browser has none (a private window). */
function openDb() {
  return new Promise((resolve) => {
    try {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(PENDING, { keyPath: "key" });
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
}

/** The result of one request on the pending store, in a transaction of its own. */
function tx(db, mode, request) {
  return new Promise((resolve, reject) => {
    const req = request(db.transaction(PENDING, mode).objectStore(PENDING));
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function relayMessage(r) {
  try {
    return (await r.json()).error?.message ?? `HTTP ${r.status}`;
  } catch {
    return `HTTP ${r.status}`;
  }
}

function typing(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}
