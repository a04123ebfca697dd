// How one peer connection fares: connected, or in trouble (ICE failed, "disconnected" for a
// while, not connected in time, or not one candidate of its own to try), and why, in words for
// people. MeshLink and SfuLink decide what to do about it (an ICE restart, joining again).

/** Timings and bounds; tests may lower them through the module (same instance as the page). */
export const HEALTH = {
  /** "disconnected" this long counts as failed (a blip of the network recovers before). */
  disconnectedMs: 4000,
  /** Not connected this long after a start or a restart: failed. */
  connectMs: 15000,
  /** ICE restarts of a mesh link (and rejoins for the media server) before giving up. */
  attempts: 3,
  /** The wait before the first restart; it doubles each time. */
  backoffMs: 1000,
  /** The answerer waits this much longer for the offerer's restart before asking for one. */
  answererMs: 1500,
};

// STUN/TURN error codes (RFC 8489, 8656) that say the TURN server refused the credentials.
const REFUSED = new Set([401, 403, 437, 438, 441]);
// Chromium's code for a STUN/TURN server it could not reach at all.
const UNREACHABLE = 701;

const isTurn = (url) => /^turns?:/i.test(url ?? "");

/** Why a connection that had these ICE servers and these candidate errors could not connect. */
export function troubleReason(iceServers, errors) {
  const refused = errors.find((e) => REFUSED.has(e.code) && isTurn(e.url));
  if (refused) {
    return `the TURN server refused the credentials the relay gave out (${refused.code}${refused.text ? ` ${refused.text}` : ""}): the relay's TURN secret is not the TURN server's`;
  }
  const lost = errors.find((e) => e.code === UNREACHABLE && isTurn(e.url));
  if (lost) return `the TURN server ${lost.url} could not be reached`;
  const turn = iceServers.some((s) => [].concat(s.urls ?? []).some(isTurn));
  if (!turn) return "the network blocks direct audio, and the relay has no TURN server to carry it";
  return "no network path, not even through the relay's TURN server";
}

export class LinkWatch {
  /** The candidate errors since the connection last connected: {code, text, url}. */
  errors = [];
  #timer = 0; // the deadline to connect, or how long "disconnected" may last
  #gathered = 0;
  #done = false;

  /** `on.connected()` and `on.trouble(reason)` are called as the connection fares. */
  constructor(pc, iceServers, on) {
    Object.assign(this, { pc, iceServers, on });
    const check = () => this.#check();
    pc.addEventListener("iceconnectionstatechange", check);
    pc.addEventListener("connectionstatechange", check);
    pc.addEventListener("icecandidateerror", (e) => {
      this.errors.push({ code: e.errorCode, text: (e.errorText ?? "").replace(/\.$/, ""), url: e.url ?? "" });
    });
    pc.addEventListener("icecandidate", (e) => {
      if (e.candidate && e.candidate.candidate) this.#gathered++;
    });
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "gathering") this.#gathered = 0;
      // Not one candidate of our own: nothing can connect (TURN refused, every path blocked).
      else if (pc.iceGatheringState === "complete" && !this.#gathered && pc.connectionState !== "connected") {
        this.#trouble();
      }
    });
  }

  get reason() {
    return troubleReason(this.iceServers, this.errors);
  }

  /** A start or an ICE restart: a fresh attempt that must connect within HEALTH.connectMs. */
  expect() {
    this.#arm(HEALTH.connectMs);
  }

  stop() {
    this.#done = true;
    clearTimeout(this.#timer);
  }

  #check() {
    const pc = this.pc;
    if (this.#done) return;
    if (pc.connectionState === "connected") {
      this.errors = [];
      clearTimeout(this.#timer);
      this.#timer = 0;
      this.on.connected();
    } else if (pc.connectionState === "failed" || pc.iceConnectionState === "failed") {
      this.#trouble();
    } else if (pc.iceConnectionState === "disconnected" || pc.connectionState === "disconnected") {
      if (!this.#timer) this.#arm(HEALTH.disconnectedMs);
    }
  }

  #arm(ms) {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = 0;
      if (this.pc.connectionState !== "connected") this.#trouble();
    }, ms);
  }

  #trouble() {
    if (this.#done) return;
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.on.trouble(this.reason);
  }
}
