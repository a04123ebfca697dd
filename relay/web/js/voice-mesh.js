// One mesh link: a peer connection to one other voice member, audio only, negotiated through
// the relay's voice_signal (the newcomer offers, the member answers; candidates trickle).
// The engine hears the peer's audio through `remoteStream` and learns it stopped by `remoteGone`.
//
// A link that fails (ICE "failed", "disconnected" for a few seconds, not connected in time)
// restarts ICE, a few times with a growing wait. The offerer leads: it offers again with
// iceRestart. The answerer asks by offering too, a little later and only if no restart came
// from the offerer; should both offers cross, the offerer ignores the answerer's and the
// answerer takes the offerer's (rolling its own back), so the two never deadlock. After the
// last attempt the link is "failed" and says why (`reason`); `retry()` tries again.

import { HEALTH, LinkWatch } from "./voice-health.js";
import { candidateFromWire, candidateToWire, descriptionToWire } from "./voice-wire.js";

export class MeshLink {
  /** "connecting", "connected", "retrying" (an ICE restart under way) or "failed". */
  state = "connecting";
  /** Why the link is in trouble, in words for people ("" while it is fine). */
  reason = "";
  /** ICE restarts tried since the link last connected. */
  attempts = 0;
  #pc = null;
  #watch = null;
  #stream = null;
  #pending = []; // candidates that came before the peer's description
  #closed = false;
  #making = false; // an offer of ours is being made
  #peerOffers = 0; // offers taken from the peer
  #retryTimer = 0;

  constructor(engine, peer, { offerer, iceServers }) {
    Object.assign(this, { engine, peer, offerer, iceServers });
  }

  get connection() {
    return this.#pc;
  }

  /** Opens the connection; the offerer sends its offer (with `stream`'s track, if any). */
  start(stream) {
    this.#stream = stream;
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    this.#pc = pc;
    pc.onicecandidate = (e) => {
      if (e.candidate && e.candidate.candidate) this.engine.signal(this.peer, { candidate: candidateToWire(e.candidate) });
    };
    pc.ontrack = (e) => {
      if (e.track.kind === "audio") this.engine.remoteStream(this.peer, e.streams[0] ?? new MediaStream([e.track]));
    };
    this.#watch = new LinkWatch(pc, this.iceServers, {
      connected: () => this.#connected(),
      trouble: (reason) => this.#trouble(reason),
    });
    this.#watch.expect();
    if (this.offerer) {
      if (this.#track()) pc.addTrack(this.#track(), stream);
      else pc.addTransceiver("audio", { direction: "recvonly" });
      return this.#offer();
    }
  }

  /** A voice_signal from the peer: its description or one of its candidates. */
  async signal(msg) {
    const pc = this.#pc;
    if (this.#closed || !pc) return;
    if (msg.description) {
      const desc = msg.description;
      if (desc.type === "offer") {
        // Both offered at once: the offerer's offer wins; the answerer's is ignored (and if
        // this link had given up, the peer asked to try again: the offerer restarts).
        if (this.offerer && (this.#making || pc.signalingState !== "stable")) {
          if (this.state === "failed") this.retry();
          return;
        }
        this.#peerOffers++;
      } else if (pc.signalingState !== "have-local-offer") {
        return; // the answer to an offer given up for the peer's
      }
      // (An offer while ours is pending rolls ours back: this is the answerer giving way.)
      await pc.setRemoteDescription({ type: desc.type, sdp: desc.sdp });
      for (const c of this.#pending.splice(0)) await pc.addIceCandidate(c).catch(() => {});
      if (desc.type === "offer") {
        // Our track goes on the transceiver the offer made, so the answer carries it.
        const track = this.#track();
        if (track && !pc.getSenders().some((s) => s.track)) pc.addTrack(track, this.#stream);
        await pc.setLocalDescription(await pc.createAnswer());
        this.engine.signal(this.peer, { description: descriptionToWire(pc.localDescription) });
      }
    } else if (msg.candidate) {
      const c = candidateFromWire(msg.candidate);
      if (pc.remoteDescription) await pc.addIceCandidate(c).catch(() => {});
      else this.#pending.push(c);
    }
  }

  /** Another microphone (the input device changed). */
  replaceTrack(track) {
    return this.#pc?.getSenders()[0]?.replaceTrack(track);
  }

  /** Tries again now, with a fresh round of attempts (the user's Retry, the network back). */
  retry() {
    if (this.#closed || !this.#pc || this.state === "connected") return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = 0;
    this.attempts = 0;
    this.#setState("retrying");
    this.#restart(true);
  }

  close() {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#watch?.stop();
    this.#pc?.close();
    this.engine.remoteGone(this.peer);
  }

  #track() {
    return this.#stream?.getAudioTracks()[0] ?? null;
  }

  async #offer(options = {}) {
    const pc = this.#pc;
    this.#making = true;
    try {
      const offer = await pc.createOffer(options);
      if (this.#closed) return;
      await pc.setLocalDescription(offer);
    } finally {
      this.#making = false;
    }
    // Still ours to send (the peer's offer may have rolled it back meanwhile).
    if (!this.#closed && pc.signalingState === "have-local-offer") {
      this.engine.signal(this.peer, { description: descriptionToWire(pc.localDescription) });
    }
  }

  #connected() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = 0;
    this.attempts = 0;
    this.reason = "";
    this.#setState("connected");
  }

  #trouble(reason) {
    if (this.#closed || this.#retryTimer || this.state === "failed") return;
    this.reason = reason;
    if (this.attempts >= HEALTH.attempts) return this.#setState("failed");
    const wait = HEALTH.backoffMs * 2 ** this.attempts + (this.offerer ? 0 : HEALTH.answererMs);
    this.attempts++;
    this.#setState("retrying");
    const offers = this.#peerOffers;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = 0;
      this.#restart(this.offerer || this.#peerOffers === offers);
    }, wait);
  }

  /** An ICE restart: our offer when `offer` (else the peer's restart is under way). */
  #restart(offer) {
    if (this.#closed) return;
    this.#watch.expect();
    if (offer) this.#offer({ iceRestart: true }).catch((err) => console.warn("voice: ICE restart:", err));
  }

  #setState(state) {
    if (this.state === state) return;
    this.state = state;
    this.engine.linkChanged?.(this);
  }
}
