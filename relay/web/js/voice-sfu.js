// Voice through the relay's media server (an SFU): one link for the whole room.
//
// A member who may speak publishes its microphone to the peer id "sfu" (it offers, the relay
// answers from Janus). Every member receives everyone else's voice on one connection from
// "sfu-sub": the relay offers, with `streams` saying which mid carries whose voice; the link
// answers and hands each voice to the engine as its own MediaStream, so per-person volume
// works as in a mesh. A new offer from "sfu-sub" (someone joined or left) updates the set.
//
// Should either connection fail (or a description be refused), the engine is told
// (`sfuTrouble(reason)`): it leaves voice and joins again, a few times, then says so.

import { LinkWatch } from "./voice-health.js";
import { candidateFromWire, candidateToWire, descriptionToWire } from "./voice-wire.js";

export const SFU_PUBLISH = "sfu";
export const SFU_SUBSCRIBE = "sfu-sub";

export class SfuLink {
  // engine: signal(to, body) reaches the relay; remoteStream(id, stream) and remoteGone(id)
  // take the voices. iceServers: from voice_welcome.
  constructor(engine, { iceServers = [] } = {}) {
    this.engine = engine;
    this.iceServers = iceServers;
    this.pub = null;
    this.sub = null;
    this.closed = false;
    // mid -> participant id as the last offer said; id -> the stream handed to the engine.
    this.mids = new Map();
    this.heard = new Map();
    // Signals are handled in order (each waits for the one before).
    this.chain = Promise.resolve();
    this.watches = [];
  }

  #pc(to) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, bundlePolicy: "max-bundle" });
    pc.onicecandidate = (ev) => {
      if (ev.candidate && ev.candidate.candidate && !this.closed) {
        this.engine.signal(to, { candidate: candidateToWire(ev.candidate) });
      }
    };
    const what = to === SFU_PUBLISH ? "sending your microphone" : "receiving the others' voices";
    const watch = new LinkWatch(pc, this.iceServers, {
      connected: () => this.#connected(),
      trouble: (reason) => this.#trouble(`${what}: ${reason}`),
    });
    watch.expect();
    this.watches.push(watch);
    return pc;
  }

  // localStream: the microphone, or null for a member who may only listen.
  async start(localStream) {
    const track = localStream && localStream.getAudioTracks()[0];
    if (!track || this.closed) return;
    const pub = (this.pub = this.#pc(SFU_PUBLISH));
    pub.addTransceiver(track, { direction: "sendonly", streams: [localStream] });
    await pub.setLocalDescription(await pub.createOffer());
    if (this.closed) return;
    this.engine.signal(SFU_PUBLISH, { description: descriptionToWire(pub.localDescription) });
  }

  // The microphone changed (another input device): the published track follows.
  async replaceTrack(track) {
    const sender = this.pub && this.pub.getSenders()[0];
    if (sender) await sender.replaceTrack(track);
  }

  signal(msg) {
    this.chain = this.chain.then(() => this.#signal(msg)).catch((err) => {
      console.warn("voice (media server):", err);
      this.#trouble(`its description was refused (${err.message ?? err})`);
    });
    return this.chain;
  }

  // Connected: both connections this link has (one for a listener) are.
  #connected() {
    const pcs = [this.pub, this.sub].filter(Boolean);
    if (!this.closed && pcs.every((pc) => pc.connectionState === "connected")) this.engine.sfuConnected?.();
  }

  #trouble(reason) {
    if (!this.closed) this.engine.sfuTrouble?.(reason);
  }

  async #signal(msg) {
    if (this.closed) return;
    if (msg.id === SFU_PUBLISH) {
      if (!this.pub) return;
      if (msg.description) await this.pub.setRemoteDescription(msg.description);
      else if (msg.candidate) await this.pub.addIceCandidate(candidateFromWire(msg.candidate)).catch(() => {});
    } else if (msg.id === SFU_SUBSCRIBE) {
      if (msg.candidate) {
        if (this.sub) await this.sub.addIceCandidate(candidateFromWire(msg.candidate)).catch(() => {});
      } else if (msg.description && msg.description.type === "offer") {
        await this.#subscribe(msg.description, msg.streams || []);
      }
    }
  }

  async #subscribe(offer, streams) {
    if (!this.sub) this.sub = this.#pc(SFU_SUBSCRIBE);
    const sub = this.sub;
    await sub.setRemoteDescription(offer);
    await sub.setLocalDescription(await sub.createAnswer());
    if (this.closed) return;
    this.engine.signal(SFU_SUBSCRIBE, { description: descriptionToWire(sub.localDescription) });
    this.mids = new Map(streams.map((s) => [String(s.mid), s.id]));
    this.#reconcile();
  }

  // Hand the engine one stream per voice the last offer listed; voices it no longer lists
  // are gone.
  #reconcile() {
    const now = new Map();
    for (const t of this.sub.getTransceivers()) {
      const id = t.mid != null && this.mids.get(String(t.mid));
      if (id && !now.has(id)) now.set(id, t.receiver.track);
    }
    for (const [id, stream] of this.heard) {
      const track = now.get(id);
      if (!track || stream.getAudioTracks()[0] !== track) {
        this.heard.delete(id);
        this.engine.remoteGone(id);
      }
    }
    for (const [id, track] of now) {
      if (this.heard.has(id)) continue;
      const stream = new MediaStream([track]);
      this.heard.set(id, stream);
      this.engine.remoteStream(id, stream);
    }
  }

  // Who this link hears now (participant ids).
  get voices() {
    return [...this.heard.keys()];
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) w.stop();
    for (const pc of [this.pub, this.sub]) if (pc) pc.close();
    for (const id of this.heard.keys()) this.engine.remoteGone(id);
    this.heard.clear();
    this.pub = this.sub = null;
  }
}
