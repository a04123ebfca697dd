// The media socket: `media_hello` with the ticket from `welcome`, then binary frame packets.
// Frames go into the cache; a KIND_REF packet is served from it. Emits "frame" (header, entry),
// "miss" (header of a reference this page no longer holds) and "state" ("open" / "closed").

import { Emitter } from "./emitter.js";
import { CLOSE_REFUSED, CLOSE_REPLACED, KIND_FRAME, envelope, parsePacket, rank } from "./protocol.js";

const RETRY_S = [0.5, 1, 2, 4];

export class MediaLink extends Emitter {
  #ws = null;
  #ticket = null;
  #attempt = 0;
  #timer = 0;

  constructor(url, cache) {
    super();
    this.url = url;
    this.cache = cache;
  }

  /** Opens the socket with this ticket, unless one is already open or opening. */
  open(ticket) {
    this.#ticket = ticket;
    if (this.#ws && this.#ws.readyState <= WebSocket.OPEN) return;
    clearTimeout(this.#timer);
    this.#connect();
  }

  #connect() {
    const ws = new WebSocket(this.url);
    ws.binaryType = "arraybuffer";
    this.#ws = ws;
    ws.onopen = () => ws.send(envelope("media_hello", { ticket: this.#ticket, cache: this.cache.maxCount }));
    ws.onmessage = (event) => {
      if (typeof event.data === "string") this.#onText(event.data);
      else this.#onPacket(event.data);
    };
    ws.onclose = (event) => {
      if (ws !== this.#ws) return;
      this.emit("state", "closed");
      // A refused ticket waits for the next `welcome`; a replaced socket lives elsewhere.
      if (event.code === CLOSE_REFUSED || event.code === CLOSE_REPLACED) return;
      const delay = RETRY_S[Math.min(this.#attempt++, RETRY_S.length - 1)];
      this.#timer = setTimeout(() => this.#connect(), delay * 1000);
    };
  }

  #onText(text) {
    const msg = JSON.parse(text);
    if (msg.type === "media_welcome") {
      this.#attempt = 0;
      this.emit("state", "open");
    } else if (msg.type === "error") {
      // `not_ready`: the control socket has not joined again yet (the relay restarted); a
      // retry or the next `welcome` opens this socket, nothing for the person to do.
      if (msg.data?.code !== "not_ready") this.emit("error", msg.data);
    }
  }

  #onPacket(buffer) {
    let header;
    try {
      header = parsePacket(buffer);
    } catch (err) {
      this.emit("error", { code: "bad_message", message: String(err.message) });
      return;
    }
    let entry;
    if (header.kind === KIND_FRAME) {
      entry = this.cache.put({
        hash: header.hash,
        rank: rank(header.flags),
        codec: header.codec,
        width: header.width,
        height: header.height,
        bytes: buffer.slice(header.headerLength),
      });
    } else {
      entry = this.cache.get(header.hash);
      if (!entry) {
        this.emit("miss", header);
        return;
      }
    }
    this.emit("frame", header, entry);
  }
}
