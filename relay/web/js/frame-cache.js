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
