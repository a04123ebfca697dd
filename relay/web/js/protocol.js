// The wire protocol as the page speaks it: envelopes, the media packet header, ORI coordinates.
// Mirrors core/protocol (docs/protocol.md); tests/browser/test_protocol_js.py checks the numbers.

export const PROTOCOL_VERSION = "1.0";
export const PROTOCOL_MAJOR = 1;

// Media packet header (docs/protocol.md, "Packet header"); integers big-endian.
export const HEADER_SIZE = 48;
export const KIND_FRAME = 1;
export const KIND_REF = 2;
export const FLAG_REFINEMENT = 0x1;
export const FLAG_LOSSLESS = 0x2;
export const CODECS = { 1: "jpeg", 2: "png", 3: "rgb8" };

// Close codes the relay uses and what they mean to this page.
export const CLOSE_REPLACED = 4001;
export const CLOSE_REFUSED = 4003;

// Errors after which a persisted event may pass later: it stays in the outbox.
export const RETRYABLE = new Set(["internal", "not_ready", "rate_limited"]);

// A display name is asked for before `welcome` brings the limits: the relay's default
// `max_name_chars`, as a hint for the input only (the relay checks the real limit).
export const NAME_HINT_CHARS = 80;

// The longest range a note may hold, in frames (core/model.py MAX_NOTE_FRAMES).
export const MAX_NOTE_FRAMES = 100000;

/** A note's last frame: `anchor.frame + anchor.duration - 1` (its frame without a duration). */
export function lastFrame(anchor) {
  return anchor.frame + Math.max(1, anchor.duration ?? 1) - 1;
}

/** Whether a note is drawn on `frame` (every frame of its range). */
export function holds(anchor, frame) {
  return frame >= anchor.frame && frame <= lastFrame(anchor);
}

/** The frames for people: "1012" or "1012-1020". */
export function frameSpan(anchor) {
  const last = lastFrame(anchor);
  return last === anchor.frame ? String(anchor.frame) : `${anchor.frame}-${last}`;
}

/** The same anchor over `first`..`last` (either order, at most MAX_NOTE_FRAMES); one frame
 * has no `duration`. A moved first frame moves `time` with it. */
export function anchorOver(anchor, first, last) {
  const lo = Math.min(first, last);
  const hi = Math.min(Math.max(first, last), lo + MAX_NOTE_FRAMES - 1);
  const { duration, ...rest } = anchor;
  const out = { ...rest, frame: lo };
  if (rest.time && lo !== anchor.frame) out.time = { ...rest.time, value: lo };
  if (hi > lo) out.duration = hi - lo + 1;
  return out;
}

/** One control message as JSON text; `extra` carries `ref` / `eid`. */
export function envelope(type, data, extra = {}) {
  return JSON.stringify({ v: PROTOCOL_MAJOR, type, data, ...extra });
}

/** A random UUID v4 (crypto.randomUUID needs a secure context; a LAN relay may not be one). */
export function uuid() {
  if (globalThis.crypto?.randomUUID && globalThis.isSecureContext) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The header of one binary media packet, or an Error naming the bad field. */
export function parsePacket(buffer) {
  if (buffer.byteLength < HEADER_SIZE) throw new Error("media packet shorter than its header");
  const v = new DataView(buffer);
  if (v.getUint8(0) !== 0x4f || v.getUint8(1) !== 0x53) throw new Error("media packet: bad magic");
  if (v.getUint8(2) !== 1) throw new Error(`media packet version ${v.getUint8(2)} unsupported`);
  const kind = v.getUint8(3);
  if (kind !== KIND_FRAME && kind !== KIND_REF) throw new Error(`media packet: unknown kind ${kind}`);
  const headerLength = v.getUint16(4);
  const codec = CODECS[v.getUint8(20)];
  if (!codec) throw new Error(`media packet: unknown codec ${v.getUint8(20)}`);
  let hash = "";
  for (let i = 24; i < 40; i++) hash += v.getUint8(i).toString(16).padStart(2, "0");
  return {
    kind,
    headerLength,
    flags: v.getUint16(6),
    frameId: v.getUint32(8),
    frame: v.getInt32(12),
    width: v.getUint16(16),
    height: v.getUint16(18),
    codec,
    hash,
    capturedUs: Number(v.getBigUint64(40)),
  };
}

/** How good an encoding is (the relay's ranking): fast 0, refined 1, lossless 2. */
export function rank(flags) {
  if (flags & FLAG_LOSSLESS) return 2;
  return flags & FLAG_REFINEMENT ? 1 : 0;
}

/** Pixels (y down) of an ORI point: normalised to the image height, origin at the centre, y up. */
export function pixelFromOri(x, y, width, height) {
  return [x * height + width / 2, height / 2 - y * height];
}

/** Reads the payload of an invite token (os1.<payload>.<sig>) for display only; the relay decides. */
export function tokenClaims(token) {
  try {
    const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(part), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return {};
  }
}
