// The control socket: hello, reconnect and resume with `since`, the outbox of persisted events.
// States: connecting -> live -> reconnecting -> live ...; refused (fatal) and replaced are final.

import { Emitter } from "./emitter.js";
import {
  CLOSE_REFUSED,
  CLOSE_REPLACED,
  PROTOCOL_VERSION,
  RETRYABLE,
  envelope,
  uuid,
} from "./protocol.js";

// Seconds between reconnection attempts (the last one repeats), each with up to 30% jitter.
const BACKOFF_S = [0.25, 0.5, 1, 2, 3, 5];
const CAPABILITIES = [
  "resume",
  "media_socket",
  "frame_cache",
  "lease_handover",
  "draft",
  "snapshot_pages",
];

export class Connection extends Emitter {
  state = "connecting";
  refusal = "";
  welcome = null;
  // The highest seq seen: from snapshots, synced, relayed events and our own acks.
  lastSeq = null;
  #ws = null;
  #attempt = 0;
  #timer = 0;
  #helloError = null;

  constructor({ url, token, name, clientId, outbox }) {
    super();
    Object.assign(this, { url, token, name, clientId, outbox });
    addEventListener("online", () => this.state === "reconnecting" && this.#reconnectNow());
  }

  start() {
    this.#open();
  }

  get live() {
    return this.state === "live";
  }

  /** An ephemeral message; dropped (false) unless live on an open socket. */
  send(type, data) {
    if (!this.#writable()) return false;
    this.#ws.send(envelope(type, data));
    return true;
  }

  /** Live, and the socket not already closing: a relay going away closes it before the
   * page hears of it, and a send then only logs a warning. */
  #writable() {
    return this.live && this.#ws?.readyState === WebSocket.OPEN;
  }

  /** A persisted event: kept in the outbox until acknowledged, sent now if live. */
  submit(type, data, eid = uuid()) {
    const item = this.outbox.add(type, data, eid);
    if (this.#writable()) this.#sendItem(item); // else sent from the outbox after the next join
    return eid;
  }

  /** Starts again from a full snapshot (after the relay refused one of our events). */
  resync() {
    this.lastSeq = null;
    this.#reconnectNow();
  }

  /** After "replaced": take the seat back in this tab. */
  resume() {
    if (this.state === "replaced") this.#reconnectNow();
  }

  #sendItem(item) {
    this.#ws.send(envelope(item.type, item.data, { eid: item.eid, ref: item.eid }));
  }

  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.emit("state", state);
  }

  #open() {
    this.#setState(this.welcome ? "reconnecting" : "connecting");
    this.#helloError = null;
    const ws = new WebSocket(this.url);
    this.#ws = ws;
    ws.onopen = () => {
      const hello = {
        protocol: PROTOCOL_VERSION,
        token: this.token,
        name: this.name,
        client: "browser",
        client_id: this.clientId,
        capabilities: CAPABILITIES,
      };
      if (this.lastSeq !== null) hello.since = this.lastSeq;
      ws.send(envelope("hello", hello));
    };
    ws.onmessage = (event) => ws === this.#ws && this.#onText(event.data);
    ws.onclose = (event) => ws === this.#ws && this.#onClose(event);
  }

  #onText(text) {
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      return;
    }
    const data = msg.data ?? {};
    if (typeof msg.seq === "number") this.#seen(msg.seq);
    switch (msg.type) {
      case "welcome":
        this.welcome = data;
        this.emit("welcome", data);
        break;
      case "snapshot":
        if (data.full) this.lastSeq = data.seq;
        break;
      case "synced":
        this.lastSeq = data.seq;
        break;
      case "ack":
        if (typeof data.seq === "number") this.#seen(data.seq);
        this.emit("ack", data, this.outbox.remove(data.eid));
        break;
      case "error":
        this.#onError(data);
        break;
    }
    this.emit("message", msg);
    if (msg.type === "synced") {
      this.#attempt = 0;
      this.#setState("live");
      for (const item of this.outbox.entries()) this.#sendItem(item);
    }
  }

  #seen(seq) {
    this.lastSeq = this.lastSeq === null ? seq : Math.max(this.lastSeq, seq);
  }

  #onError(data) {
    if (data.type === "hello") {
      this.#helloError = data;
      return;
    }
    const item = data.ref ? this.outbox.get(data.ref) : undefined;
    if (item && !RETRYABLE.has(data.code)) {
      this.outbox.remove(item.eid);
      this.emit("rejected", data, item);
    }
  }

  #onClose(event) {
    if (event.code === CLOSE_REFUSED || this.#helloError) {
      // A refused hello (bad link, expired, closed session, malformed): retrying cannot help.
      this.refusal = this.#helloError?.message || event.reason || "the relay refused this link";
      this.#setState("refused");
      return;
    }
    if (event.code === CLOSE_REPLACED) {
      this.#setState("replaced");
      return;
    }
    this.#setState(this.welcome ? "reconnecting" : "connecting");
    const base = BACKOFF_S[Math.min(this.#attempt, BACKOFF_S.length - 1)];
    this.#attempt += 1;
    this.#timer = setTimeout(() => this.#open(), base * 1000 * (1 + Math.random() * 0.3));
  }

  #reconnectNow() {
    clearTimeout(this.#timer);
    if (this.#ws && this.#ws.readyState <= WebSocket.OPEN) this.#ws.close();
    this.#open();
  }
}
