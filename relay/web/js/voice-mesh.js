// One mesh link: a peer connection to one other voice member, audio only, negotiated through
// the relay's voice_signal (the newcomer offers, the member answers; candidates trickle).
// The engine hears the peer's audio through `remoteStream` and learns it stopped by `remoteGone`.

import { candidateFromWire, candidateToWire, descriptionToWire } from "./voice-wire.js";

export class MeshLink {
  #pc = null;
  #stream = null;
  #pending = []; // candidates that came before the peer's description
  #closed = false;

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
    pc.onconnectionstatechange = () => {
      // A link that failed (a network change) tries a fresh path; the offerer leads it.
      if (pc.connectionState === "failed" && this.offerer && !this.#closed) this.#offer({ iceRestart: true });
    };
    if (this.offerer) {
      if (this.#track()) pc.addTrack(this.#track(), stream);
      else pc.addTransceiver("audio", { direction: "recvonly" });
      this.#offer();
    }
  }

  /** A voice_signal from the peer: its description or one of its candidates. */
  async signal(msg) {
    const pc = this.#pc;
    if (this.#closed || !pc) return;
    if (msg.description) {
      const desc = msg.description;
      if (desc.type === "offer" && pc.signalingState !== "stable") return; // not ours to take now
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

  close() {
    this.#closed = true;
    this.#pc?.close();
    this.engine.remoteGone(this.peer);
  }

  #track() {
    return this.#stream?.getAudioTracks()[0] ?? null;
  }

  async #offer(options = {}) {
    const pc = this.#pc;
    const offer = await pc.createOffer(options);
    if (this.#closed) return;
    await pc.setLocalDescription(offer);
    this.engine.signal(this.peer, { description: descriptionToWire(pc.localDescription) });
  }
}
