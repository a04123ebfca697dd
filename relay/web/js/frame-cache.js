// Encoded frames by content hash, least recently used out first, bounded by count and bytes.
// One entry per hash: the best encoding seen (lossless over refined over fast). The relay sends
// a frame this page holds as a header-only reference, so the count is what `media_hello` says.

export class FrameCache {
  #entries = new Map();
  #bytes = 0;

  constructor(maxCount, maxBytes) {
    this.maxCount = maxCount;
    this.maxBytes = maxBytes;
  }

  /** Keeps `entry` ({hash, rank, bytes, codec, width, height}) unless a better one is held. */
  put(entry) {
    const held = this.#entries.get(entry.hash);
    if (held && held.rank > entry.rank) return this.get(entry.hash);
    if (held) this.#drop(entry.hash);
    this.#entries.set(entry.hash, entry);
    this.#bytes += entry.bytes.byteLength;
    for (const hash of this.#entries.keys()) {
      if (this.#entries.size <= this.maxCount && this.#bytes <= this.maxBytes) break;
      if (hash !== entry.hash) this.#drop(hash);
    }
    return entry;
  }

  get(hash) {
    const entry = this.#entries.get(hash);
    if (entry) {
      this.#entries.delete(hash);
      this.#entries.set(hash, entry);
    }
    return entry;
  }

  has(hash) {
    return this.#entries.has(hash);
  }

  get size() {
    return this.#entries.size;
  }

  get bytes() {
    return this.#bytes;
  }

  #drop(hash) {
    this.#bytes -= this.#entries.get(hash).bytes.byteLength;
    this.#entries.delete(hash);
  }
}

// The last run of digits in a name, with what comes before and after it.
const LAST_NUMBER = /^(.*\D|)(\d+)(\D*)$/;

/** The host's name for each frame that came (its file), as the stream named it then.
 *
 * The stream names the host's latest capture, and its frames come on another socket: while the
 * shot plays a frame can come after the names of the next few. Files numbered by frame (a name
 * seen with the very number of the frame it came with, shot.1001.exr with 1001) are named by
 * the frame itself, so the file of 1041 reads shot.1041.exr whichever name came with it. */
export class FrameFiles {
  #names = new Map(); // frame -> name
  #byFrame = new Set(); // names numbered by frame, without their number

  note(frame, name) {
    if (!name) return;
    this.#names.set(frame, name);
    const m = LAST_NUMBER.exec(name);
    if (m && Number(m[2]) === frame) this.#byFrame.add(`${m[1]}\u0000${m[3]}`);
  }

  /** The file of `frame`, or null when no frame of that number came. */
  get(frame) {
    const name = this.#names.get(frame);
    const m = name && LAST_NUMBER.exec(name);
    if (!m || frame < 0 || !this.#byFrame.has(`${m[1]}\u0000${m[3]}`)) return name ?? null;
    return m[1] + String(frame).padStart(m[2].length, "0") + m[3];
  }
}
