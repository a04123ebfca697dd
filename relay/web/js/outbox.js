// Persisted events not yet acknowledged, by event id, in order; kept in sessionStorage so a
// note made offline (or just before a reload) is sent again with its eid: it lands exactly once.

export class Outbox {
  #key;
  #items = new Map();

  constructor(storageKey) {
    this.#key = storageKey;
    try {
      for (const item of JSON.parse(sessionStorage.getItem(storageKey) || "[]")) {
        this.#items.set(item.eid, item);
      }
    } catch {
      sessionStorage.removeItem(storageKey);
    }
  }

  add(type, data, eid) {
    const item = { type, data, eid };
    this.#items.set(eid, item);
    this.#save();
    return item;
  }

  remove(eid) {
    const item = this.#items.get(eid);
    if (item && this.#items.delete(eid)) this.#save();
    return item;
  }

  get(eid) {
    return this.#items.get(eid);
  }

  entries() {
    return [...this.#items.values()];
  }

  get size() {
    return this.#items.size;
  }

  #save() {
    sessionStorage.setItem(this.#key, JSON.stringify(this.entries()));
  }
}
