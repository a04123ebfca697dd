// Mouth-to-ear probe for the voice benchmark, added to every page before its scripts run.
//
// It keeps every RTCPeerConnection the page makes (window.__voicePcs, for getStats), the
// microphone stream the page captures (getUserMedia is wrapped, the page's own constraints
// pass through), and times the onsets of the fake microphone's clicks: on the local track
// (mouth) and on each remote stream the voice engine hands over (ear), with an AudioWorklet
// per stream. Times are performance.timeOrigin + performance.now(), in ms: the machine's one
// wall clock, so pages of different browsers compare.
(() => {
  const WORKLET = `
    class Onsets extends AudioWorkletProcessor {
      constructor() { super(); this.quiet = 0; this.armed = false; }
      process(inputs) {
        const ch = inputs[0] && inputs[0][0];
        if (ch) {
          let peak = 0;
          for (let i = 0; i < ch.length; i++) { const v = Math.abs(ch[i]); if (v > peak) peak = v; }
          if (peak < 0.02) { this.quiet += ch.length; if (this.quiet > sampleRate * 0.25) this.armed = true; }
          else if (peak > 0.1 && this.armed) { this.armed = false; this.quiet = 0; this.port.postMessage(peak); }
          else if (peak >= 0.02) { this.quiet = 0; }
        }
        return true;
      }
    }
    registerProcessor("onsets", Onsets);`;
  const now = () => performance.timeOrigin + performance.now();
  const probe = {
    pcs: [],
    local: null,
    onsets: {}, // key ("local" or a participant id) -> [ms]
    ctx: null,
    ready: null,
    async context() {
      if (!this.ready) {
        this.ctx = new AudioContext({ latencyHint: "interactive" });
        const url = URL.createObjectURL(new Blob([WORKLET], { type: "text/javascript" }));
        this.ready = this.ctx.audioWorklet.addModule(url).then(() => this.ctx.resume());
      }
      await this.ready;
      return this.ctx;
    },
    watched: new Set(),
    async watch(key, stream) {
      if (this.watched.has(stream.id)) return;
      this.watched.add(stream.id);
      const ctx = await this.context();
      const src = ctx.createMediaStreamSource(stream);
      const node = new AudioWorkletNode(ctx, "onsets");
      const list = (this.onsets[key] = this.onsets[key] || []);
      node.port.onmessage = () => list.push(now());
      src.connect(node);
      // A worklet only runs while connected to the destination; a zero gain keeps it silent.
      const mute = ctx.createGain();
      mute.gain.value = 0;
      node.connect(mute).connect(ctx.destination);
      // Chromium decodes a remote WebRTC stream only while an element plays it.
      if (key !== "local") {
        const el = new Audio();
        el.muted = true;
        el.srcObject = stream;
        el.play().catch(() => {});
        (this.elements = this.elements || []).push(el);
      }
    },
    take(since) {
      const out = {};
      for (const [k, v] of Object.entries(this.onsets)) out[k] = v.filter((t) => t >= since);
      return out;
    },
    // Sums of inbound-rtp audio counters over every connection, and the selected pairs' types.
    async stats() {
      const out = { concealedSamples: 0, totalSamplesReceived: 0, packetsLost: 0, packetsReceived: 0, jitterBufferDelay: 0, jitterBufferEmittedCount: 0, pairs: [] };
      for (const pc of this.pcs) {
        if (pc.connectionState === "closed") continue;
        const report = await pc.getStats();
        const byId = {};
        report.forEach((s) => { byId[s.id] = s; });
        report.forEach((s) => {
          if (s.type === "inbound-rtp" && s.kind === "audio") {
            for (const k of ["concealedSamples", "totalSamplesReceived", "packetsLost", "packetsReceived", "jitterBufferDelay", "jitterBufferEmittedCount"]) out[k] += s[k] || 0;
          }
          if (s.type === "transport" && s.selectedCandidatePairId) {
            const p = byId[s.selectedCandidatePairId];
            if (p) out.pairs.push([byId[p.localCandidateId]?.candidateType, byId[p.remoteCandidateId]?.candidateType]);
          }
        });
      }
      return out;
    },
  };
  window.__voiceProbe = probe;
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = function (...args) {
    const pc = new Native(...args);
    probe.pcs.push(pc);
    return pc;
  };
  window.RTCPeerConnection.prototype = Native.prototype;
  Object.setPrototypeOf(window.RTCPeerConnection, Native);
  const md = navigator.mediaDevices;
  if (md && md.getUserMedia) {
    const gum = md.getUserMedia.bind(md);
    md.getUserMedia = async (constraints) => {
      const stream = await gum(constraints);
      const live = probe.local && probe.local.getAudioTracks().some((t) => t.readyState === "live");
      if (stream.getAudioTracks().length && !live) {
        probe.local = stream;
        probe.watch("local", stream);
      }
      return stream;
    };
  }
})();
