// At most `hz` calls a second; a call that comes too early is kept (the latest wins) and made
// when its turn comes, so the last pointer position or draft always goes out.

export class Throttle {
  #last = 0;
  #timer = 0;
  #args = null;

  constructor(fn, hz) {
    this.fn = fn;
    this.hz = hz;
  }

  call(...args) {
    this.#args = args;
    const wait = this.#last + 1000 / this.hz - performance.now();
    if (wait <= 0) this.#fire();
    else if (!this.#timer) this.#timer = setTimeout(() => this.#fire(), wait);
  }

  /** Sends a kept call now (say, before the final message that must follow it). */
  flush() {
    if (this.#timer) this.#fire();
  }

  /** Forgets a kept call. */
  cancel() {
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#args = null;
  }

  #fire() {
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#last = performance.now();
    const args = this.#args;
    this.#args = null;
    if (args) this.fn(...args);
  }
}
