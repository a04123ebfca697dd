// Where this page's playhead is: following the driver (the live frame), free (stepping through
// frames this page holds), or driving (our playhead goes to the session, and the host follows).
// While playing, our own clock runs; the driver's messages go out at once on play, pause and
// seek, and a few times a second in between. Emits "mode" (following / free / driving changed)
// and "changed" (the readouts should update).

import { Emitter } from "./emitter.js";
import { Clock } from "./timeline.js";
import { Throttle } from "./throttle.js";

// Playhead messages a second while the driver plays (each side runs its own clock).
const PLAYING_UPDATES_HZ = 4;
// A request to drive that the driver leaves unanswered may be made again after this long.
const ASK_WAIT_MS = 15000;

export class Playback extends Emitter {
  following = true;
  playing = false;
  frame = null; // our own playhead, while free or driving
  loop = null; // in/out points set here while driving
  asked = false; // we asked to drive and wait for the answer
  #clock = new Clock();
  #wasDriving = false;
  #askTimer = 0;

  constructor({ conn, state, show, liveFrame }) {
    super();
    Object.assign(this, { conn, state, show, liveFrame });
    this.updates = new Throttle(() => this.#sendPlayhead(), PLAYING_UPDATES_HZ);
    state.on("lease", () => this.#onLease());
    state.on("playhead", () => this.emit("changed"));
  }

  get driving() {
    return this.state.driving;
  }

  get rate() {
    return this.state.playhead?.rate ?? this.state.stream?.rate ?? 24;
  }

  /** The loop the clock wraps in: our in/out points, else the driver's range. */
  get range() {
    return this.loop ?? this.state.playhead?.range ?? null;
  }

  /** `frame` inside the range: at its nearest end (a step past the last frame stays on the
   * last), or round the loop while playing. No range known: as it is. */
  within(frame, playing = this.playing) {
    const r = this.range;
    if (!r || r[1] < r[0] || (frame >= r[0] && frame <= r[1])) return frame;
    if (playing) {
      const span = r[1] - r[0] + 1;
      return r[0] + ((((frame - r[0]) % span) + span) % span);
    }
    return frame < r[0] ? r[0] : r[1];
  }

  /** The playhead: the frame this page goes to (the image on screen may still be coming). */
  current() {
    if (this.driving || !this.following) return this.frame;
    return this.liveFrame() ?? this.state.playhead?.frame ?? null;
  }

  togglePlay() {
    if (this.playing) this.pause();
    else this.play();
  }

  play() {
    this.#goFree();
    if (this.frame === null) return;
    this.#run();
    this.#seekSent();
  }

  pause() {
    this.#clock.stop();
    this.playing = false;
    this.#seekSent();
  }

  step(n) {
    const from = this.current();
    if (from !== null) this.seek(from + n);
  }

  seek(frame) {
    this.#goFree();
    this.#clock.stop();
    this.playing = false;
    this.frame = this.within(frame, false);
    if (!this.driving) this.show(this.frame);
    this.#seekSent();
  }

  /** Back to the driver's live frame. */
  follow() {
    if (this.driving) return;
    this.#clock.stop();
    Object.assign(this, { following: true, playing: false, frame: null });
    this.emit("mode");
    this.emit("changed");
  }

  /** In and out points (driving): the driver's playhead carries them as its range. */
  setLoop(which) {
    const f = this.current();
    if (!this.driving || f === null) return;
    const [a, b] = this.range ?? [f, f];
    this.loop = which === "in" ? [f, Math.max(f, b)] : [Math.min(a, f), f];
    this.#seekSent();
  }

  claim() {
    if (!this.conn.send("lease_claim", {})) return;
    this.asked = true;
    clearTimeout(this.#askTimer);
    this.#askTimer = setTimeout(() => {
      this.asked = false;
      this.emit("changed");
    }, ASK_WAIT_MS);
    this.emit("changed");
  }

  release() {
    this.conn.send("lease_release", {});
  }

  /** Hand the drive to whoever asked for it. */
  handOver(to) {
    this.conn.send("lease_release", { to });
  }

  #run() {
    this.playing = true;
    this.#clock.start(this.frame, this.rate, this.range, (f) => {
      this.frame = f;
      if (this.driving) this.updates.call();
      else this.show(f);
      this.emit("changed");
    });
  }

  /** Leaves "following" (a step or play of one's own), keeping the frame on screen. */
  #goFree() {
    if (this.driving || !this.following) return;
    this.frame = this.current();
    this.following = false;
    this.emit("mode");
  }

  #seekSent() {
    if (this.driving) {
      this.updates.cancel();
      this.#sendPlayhead();
    }
    this.emit("changed");
  }

  #sendPlayhead() {
    if (this.frame === null) return;
    const playhead = { frame: this.within(this.frame), rate: this.rate, playing: this.playing, sender_clock: Date.now() };
    if (this.range) playhead.range = this.range;
    if (this.state.playhead?.timeline_id) playhead.timeline_id = this.state.playhead.timeline_id;
    this.conn.send("playhead", playhead);
  }

  #onLease() {
    if (!this.state.requestedBy) this.asked = false;
    const driving = this.driving;
    if (driving && !this.#wasDriving) {
      if (!this.following && this.frame !== null) {
        // Free at a frame of our own: the session comes to it.
        this.following = true;
        this.#clock.stop();
        this.playing = false;
        this.#sendPlayhead();
      } else {
        // Take over where the session is, playing on if it plays.
        const ph = this.state.playhead;
        this.frame = this.liveFrame() ?? ph?.frame ?? null;
        if (ph?.playing && this.frame !== null) this.#run();
      }
    } else if (!driving && this.#wasDriving) {
      this.#clock.stop();
      this.updates.cancel();
      Object.assign(this, { playing: false, loop: null, frame: null, following: true });
    }
    this.#wasDriving = driving;
    this.emit("mode");
    this.emit("changed");
  }
}
