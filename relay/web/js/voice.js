// Voice: the microphone (the browser's echo cancellation, noise suppression and automatic gain
// on), its level, mute and push-to-talk, the devices, a volume per person, speaking detection,
// and the links that carry the audio (a mesh of peer connections, or the relay's media server).
//
// The engine knows nothing of the page. It speaks to the relay through a transport,
// `{send(type, data), onMessage(cb)}`, given to `attach()`; the transport hands it every voice_*
// message, and also `welcome` (who this participant is), `synced` (the session is live, also
// again after a drop: voice is joined again by itself) and `error`. `connectionLost()` says the
// session's connection went down. Views listen for "change", "level", "remote", "allowed" (the
// host let this viewer speak, or stopped it), "refused" (the relay said no: its error's message)
// "error" (the microphone or a link failed here) and "linkfailed" (pid, reason: a mesh link
// gave up after its ICE restarts; said once until it connects again).

import { Emitter } from "./emitter.js";
import { HEALTH } from "./voice-health.js";
import { MeshLink } from "./voice-mesh.js";

export { candidateFromWire, candidateToWire, descriptionToWire } from "./voice-wire.js";

// Speech level (dBFS of the microphone, after the browser's processing) and how long speaking
// lasts after the level falls below it, so a word's gaps do not flicker.
const SPEAKING_DB = -50;
const HANGOVER_MS = 400;
// The level meter's floor: this level and below show an empty meter.
const FLOOR_DB = -70;
// How often the level is read, and the most voice_state messages a second (the relay takes 10).
const LEVEL_HZ = 25;
const STATE_HZ = 4;
// Where this browser keeps the chosen devices, push-to-talk key and volumes.
const STORE = "overshoulder.voice.";
/** The push-to-talk key by default (a KeyboardEvent.code): free of the page's shortcuts. */
export const DEFAULT_PTT = "Backquote";
const CONSTRAINTS = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };
const SPEAKING_ROLES = new Set(["host", "reviewer"]);

function stored(key, fallback) {
  try {
    return localStorage.getItem(STORE + key) ?? fallback;
  } catch {
    return fallback;
  }
}

function store(key, value) {
  try {
    if (value === null || value === undefined || value === "") localStorage.removeItem(STORE + key);
    else localStorage.setItem(STORE + key, value);
  } catch {
    // Storage refused (private mode, quota): the choice lasts for this page only.
  }
}

export class VoiceEngine extends Emitter {
  /** "off", "joining" (asked, or joining again after a drop) or "joined". */
  status = "off";
  /** The user wants to be in voice: after a dropped connection the engine joins again. */
  wanted = false;
  /** This participant as the session's welcome named it: {id, name, role}. */
  me = null;
  /** The user's mute; push-to-talk speaks through it while its key is held. */
  muted = true;
  held = false;
  mode = "mesh";
  iceServers = [];
  meshMax = 0;
  /** Who is in voice (VoiceMember by participant id), also while this page is not. */
  members = new Map();
  /** The microphone's level, 0..1, and whether it carries speech (also while muted). */
  level = 0;
  speaking = false;
  /** Why the microphone could not be opened, when it could not. */
  micError = "";
  /** Why voice through the relay's media server stopped, when it kept failing. */
  linkError = "";
  #transport = null;
  #links = new Map(); // peer id ("sfu" for the media server) -> link
  #remote = new Map(); // participant id -> {stream, audio}
  #volumes = new Map(); // participant id -> 0..1
  #mic = null; // {raw, send, stream, source, analyser}
  #micOpening = null;
  #previews = 0;
  #ctx = null;
  #levelTimer = 0;
  #loudAt = -Infinity;
  #stateSent = "";
  #stateTimer = 0;
  #stateAt = 0;
  #queue = Promise.resolve();
  #sfuModule = null;
  #failedSaid = new Set(); // peers whose failed link was told to the views
  #sfuTries = 0; // joins again since the media server's link last connected
  #sfuTimer = 0;

  constructor() {
    super();
    this.pttCode = stored("ptt", DEFAULT_PTT);
    this.inputId = stored("input", "");
    this.outputId = stored("output", "");
    navigator.mediaDevices?.addEventListener?.("devicechange", () => this.emit("change"));
    // The network is back: links that gave up try again.
    globalThis.addEventListener?.("online", () => this.retry());
  }

  /** Starts listening to the relay through `transport` ({send(type, data), onMessage(cb)}). */
  attach(transport) {
    this.#transport = transport;
    transport.onMessage((msg) => {
      // One message at a time, in order: a link is made before the next signal for it.
      this.#queue = this.#queue.then(() => this.#onMessage(msg)).catch((err) => this.#fail(err));
    });
  }

  // --- what the views read -----------------------------------------------------------------

  get joined() {
    return this.status === "joined";
  }

  /** Whether this participant may speak: its role, or the host's leave for a viewer. */
  get canSpeak() {
    const mine = this.me && this.members.get(this.me.id);
    if (mine && mine.joined) return mine.can_speak;
    return !!this.me && SPEAKING_ROLES.has(this.me.role);
  }

  /** Whether the microphone reaches the others now. */
  get sending() {
    return this.joined && this.canSpeak && !!this.#mic && (!this.muted || this.held);
  }

  get outputSupported() {
    return typeof HTMLMediaElement !== "undefined" && "setSinkId" in HTMLMediaElement.prototype;
  }

  /** The MediaStream heard from a participant, or null. */
  streamOf(pid) {
    return this.#remote.get(pid)?.stream ?? null;
  }

  /** The link to a peer (a participant id, or "sfu"), for diagnostics and tests. */
  linkOf(peer) {
    return this.#links.get(peer) ?? null;
  }

  /** How the mesh link to `pid` fares: {state, reason} (see MeshLink), or null (no link). */
  linkState(pid) {
    const link = this.#links.get(pid);
    return link?.state ? { state: link.state, reason: link.reason } : null;
  }

  volume(pid) {
    return this.#volumes.get(pid) ?? 1;
  }

  setVolume(pid, value) {
    const v = Math.max(0, Math.min(1, Number(value)));
    this.#volumes.set(pid, v);
    const r = this.#remote.get(pid);
    if (r) r.audio.volume = v;
    this.emit("change");
  }

  /** Audio inputs and outputs: [{deviceId, label, kind}] (labels once the mic was allowed). */
  async devices() {
    if (!navigator.mediaDevices?.enumerateDevices) return { inputs: [], outputs: [] };
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      inputs: all.filter((d) => d.kind === "audioinput"),
      outputs: all.filter((d) => d.kind === "audiooutput"),
    };
  }

  // --- what the user does ------------------------------------------------------------------

  /** Join voice: the microphone first (when this participant may speak), then the relay. */
  async join() {
    this.wanted = true;
    if (this.status !== "off") return;
    this.linkError = "";
    this.#setStatus("joining");
    if (this.canSpeak) await this.#openMic();
    if (this.wanted && this.status === "joining") this.send("voice_join", { muted: this.muted });
  }

  leave() {
    this.wanted = false;
    this.linkError = "";
    this.#sfuTries = 0;
    clearTimeout(this.#sfuTimer);
    this.#sfuTimer = 0;
    if (this.status === "off") return;
    this.send("voice_leave", {});
    this.#left();
  }

  /** Links that gave up (to `pid` only, if given) try again now. */
  retry(pid) {
    for (const [peer, link] of this.#links) {
      if ((!pid || peer === pid) && link.state === "failed") link.retry?.();
    }
  }

  /** The host lets viewer `pid` speak, or stops it. */
  allow(pid, allowed) {
    this.send("voice_allow", { id: pid, allowed: !!allowed });
  }

  setMuted(muted) {
    if (this.muted === !!muted) return;
    this.muted = !!muted;
    this.#applySending();
  }

  toggleMute() {
    this.setMuted(!this.muted);
  }

  /** Push-to-talk: the key held (true) or let go (false). */
  hold(down) {
    if (this.held === !!down) return;
    this.held = !!down;
    this.#applySending();
  }

  setPttCode(code) {
    this.pttCode = code || DEFAULT_PTT;
    store("ptt", code === DEFAULT_PTT ? "" : code);
    this.emit("change");
  }

  /** The level meter before joining: on while a view shows it (counted), off after. */
  async preview(on) {
    this.#previews = Math.max(0, this.#previews + (on ? 1 : -1));
    if (on && this.canSpeak) await this.#openMic();
    else if (!on) this.#maybeCloseMic();
  }

  async setInput(deviceId) {
    this.inputId = deviceId || "";
    store("input", this.inputId);
    if (!this.#mic) return this.emit("change");
    const old = this.#mic;
    this.#mic = null;
    await this.#openMic();
    if (this.#mic) for (const link of this.#links.values()) link.replaceTrack?.(this.#mic.send);
    this.#stopMic(old);
    this.emit("change");
  }

  async setOutput(deviceId) {
    this.outputId = deviceId || "";
    store("output", this.outputId);
    await Promise.all([...this.#remote.values()].map((r) => this.#sink(r.audio)));
    this.emit("change");
  }

  /** The session's connection went down: the relay took us out of voice; the links die. */
  connectionLost() {
    this.#queue = this.#queue.then(() => {
      if (this.status === "off") return;
      this.#closeLinks();
      this.members.clear();
      this.#setStatus("joining");
    });
  }

  // --- what links call ---------------------------------------------------------------------

  /** A message to the relay; false when the session is not connected. */
  send(type, data) {
    return this.#transport ? this.#transport.send(type, data) !== false : false;
  }

  /** A signal to a peer through the relay (`body`: description or candidate, and streams). */
  signal(to, body) {
    this.send("voice_signal", { to, ...body });
  }

  /** A link's audio from `pid` arrived (or changed). */
  remoteStream(pid, stream) {
    let r = this.#remote.get(pid);
    if (!r) {
      const audio = new Audio();
      audio.autoplay = true;
      r = { stream, audio };
      this.#remote.set(pid, r);
    }
    r.stream = stream;
    r.audio.srcObject = stream;
    r.audio.volume = this.volume(pid);
    this.#sink(r.audio);
    r.audio.play().catch(() => {}); // without a user gesture yet: autoplay starts it later
    this.emit("remote", pid);
    this.emit("change");
  }

  /** A mesh link's state changed (MeshLink.state). */
  linkChanged(link) {
    if (this.#links.get(link.peer) !== link) return;
    if (link.state === "connected") this.#failedSaid.delete(link.peer);
    else if (link.state === "failed" && !this.#failedSaid.has(link.peer)) {
      this.#failedSaid.add(link.peer);
      this.emit("linkfailed", link.peer, link.reason);
    }
    this.emit("change");
  }

  /** The media server's link connected: failures count from none again. */
  sfuConnected() {
    this.#sfuTries = 0;
  }

  /** The media server's link failed (publishing or receiving): join voice again, a few times
   * with a growing wait; after that, leave voice and say why. */
  sfuTrouble(reason) {
    if (!this.joined || this.mode !== "sfu" || this.#sfuTimer) return;
    if (this.#sfuTries >= HEALTH.attempts) {
      this.leave();
      this.linkError = `Voice could not connect to the relay's media server: ${reason}.`;
      this.emit("error", this.linkError);
      this.emit("change");
      return;
    }
    const wait = HEALTH.backoffMs * 2 ** this.#sfuTries++;
    this.#sfuTimer = setTimeout(() => {
      this.#sfuTimer = 0;
      if (!this.joined || this.mode !== "sfu") return;
      this.send("voice_leave", {});
      this.#left(true);
      this.join();
    }, wait);
  }

  remoteGone(pid) {
    const r = this.#remote.get(pid);
    if (!r) return;
    this.#remote.delete(pid);
    r.audio.pause();
    r.audio.srcObject = null;
    this.emit("remote", pid);
    this.emit("change");
  }

  // --- the relay's messages ----------------------------------------------------------------

  async #onMessage(msg) {
    const d = msg.data ?? {};
    switch (msg.type) {
      case "welcome":
        this.me = { id: d.participant.id, name: d.participant.name, role: d.participant.role };
        return this.emit("change");
      case "synced":
        // A new connection: the relay dropped us from voice with the old one.
        if (this.wanted && this.status !== "off") {
          this.#closeLinks();
          this.#setStatus("off");
        }
        if (this.wanted) await this.join();
        return;
      case "voice_welcome":
        return this.#welcome(d);
      case "voice_roster":
        this.members = new Map(d.members.filter((m) => m.joined).map((m) => [m.id, m]));
        return this.emit("change");
      case "voice_state":
        return this.#member(d);
      case "voice_signal":
        return this.#signal(d);
      case "voice_mode":
        return this.#switchMode(d.mode);
      case "error":
        if (String(d.type ?? "").startsWith("voice_")) return this.#refused(d);
        return;
      default:
        return;
    }
  }

  async #welcome(d) {
    if (!this.wanted) {
      this.send("voice_leave", {});
      return;
    }
    this.#closeLinks();
    this.mode = d.mode;
    this.iceServers = d.ice_servers ?? [];
    this.meshMax = d.mesh_max ?? 0;
    this.members = new Map(d.members.filter((m) => m.joined).map((m) => [m.id, m]));
    const me = this.me;
    this.members.set(me.id, {
      id: me.id,
      name: me.name,
      joined: true,
      muted: true,
      speaking: false,
      can_speak: d.can_speak,
    });
    if (d.can_speak) await this.#openMic();
    else this.#maybeCloseMic(true);
    this.#setStatus("joined");
    this.#stateSent = "";
    this.#applySending();
    if (this.mode === "sfu") await this.#startSfu();
    else for (const id of this.members.keys()) if (id !== me.id) this.#link(id, true);
  }

  #member(m) {
    const me = this.me?.id;
    if (!m.joined) {
      const was = this.members.get(m.id);
      this.members.delete(m.id);
      if (m.id !== me) this.#dropLink(m.id);
      else if (this.joined) {
        // The relay took us out (the host stopped this viewer's microphone): listen again.
        if (was && was.can_speak !== m.can_speak) this.emit("allowed", m.can_speak);
        this.#left(true);
        this.join();
      }
      return this.emit("change");
    }
    const before = this.members.get(m.id);
    this.members.set(m.id, m);
    if (m.id === me && this.joined && before && before.can_speak !== m.can_speak) {
      // The host let this viewer speak (or stopped it): join again to renegotiate.
      this.emit("allowed", m.can_speak);
      this.send("voice_leave", {});
      this.#left(true);
      this.join();
      return;
    }
    this.emit("change");
  }

  #signal(d) {
    const from = d.id;
    if (!from || !this.joined) return;
    if (from.startsWith("sfu")) return this.#links.get("sfu")?.signal(d);
    if (this.mode !== "mesh") return;
    let link = this.#links.get(from);
    if (!link && d.description?.type === "offer") link = this.#link(from, false);
    return link?.signal(d);
  }

  async #switchMode(mode) {
    if (mode === this.mode) return;
    this.mode = mode;
    if (!this.joined) return this.emit("change");
    this.#closeLinks();
    if (mode === "sfu") await this.#startSfu();
    else {
      // Back to a mesh: of each pair, the one whose id sorts first offers.
      for (const id of this.members.keys()) if (id > this.me.id) this.#link(id, true);
    }
    this.emit("change");
  }

  #refused(err) {
    if (err.type === "voice_join" || this.status === "joining") {
      this.wanted = false;
      this.#left();
    }
    this.emit("refused", err.message ?? "voice refused");
  }

  // --- links -------------------------------------------------------------------------------

  #link(peer, offerer) {
    this.#dropLink(peer);
    const link = new MeshLink(this, peer, { offerer, iceServers: this.iceServers });
    this.#links.set(peer, link);
    this.#start(link);
    return link;
  }

  async #startSfu() {
    try {
      this.#sfuModule ??= await import("./voice-sfu.js");
    } catch (err) {
      this.emit("error", `This page cannot use the relay's media server: ${err.message}`);
      return;
    }
    const link = new this.#sfuModule.SfuLink(this, { iceServers: this.iceServers });
    this.#links.set("sfu", link);
    this.#start(link);
  }

  #start(link) {
    Promise.resolve(link.start(this.#sendStream())).catch((err) => this.#fail(err));
  }

  #sendStream() {
    return this.canSpeak && this.#mic ? this.#mic.stream : null;
  }

  #dropLink(peer) {
    const link = this.#links.get(peer);
    if (link) {
      this.#links.delete(peer);
      link.close();
    }
    this.#failedSaid.delete(peer);
    this.remoteGone(peer);
  }

  #closeLinks() {
    for (const peer of [...this.#links.keys()]) this.#dropLink(peer);
    for (const pid of [...this.#remote.keys()]) this.remoteGone(pid);
  }

  #left(keepMic = false) {
    this.#closeLinks();
    if (this.me) this.members.delete(this.me.id);
    this.held = false;
    this.#setStatus("off");
    if (!keepMic) this.#maybeCloseMic();
  }

  // --- the microphone ----------------------------------------------------------------------

  async #openMic() {
    if (this.#mic) return;
    this.#micOpening ??= this.#acquire().finally(() => (this.#micOpening = null));
    await this.#micOpening;
  }

  async #acquire() {
    let raw;
    try {
      raw = await this.#getUserMedia(this.inputId);
    } catch (err) {
      this.micError = `The microphone could not be opened: ${err.message || err.name}`;
      this.emit("error", this.micError);
      this.emit("change");
      return;
    }
    this.micError = "";
    this.#ctx ??= new AudioContext();
    this.#ctx.resume().catch(() => {});
    const stream = new MediaStream([raw.getAudioTracks()[0].clone()]);
    const source = this.#ctx.createMediaStreamSource(raw);
    const analyser = this.#ctx.createAnalyser();
    analyser.fftSize = 1024;
    source.connect(analyser);
    this.#mic = { raw, send: stream.getAudioTracks()[0], stream, source, analyser };
    this.#mic.send.enabled = this.sending;
    raw.getAudioTracks()[0].addEventListener("ended", () => this.emit("error", "The microphone was disconnected."));
    if (!this.#levelTimer) this.#levelTimer = setInterval(() => this.#readLevel(), 1000 / LEVEL_HZ);
    this.emit("change");
  }

  async #getUserMedia(deviceId) {
    if (!navigator.mediaDevices?.getUserMedia) {
      throw new Error("this page is not a secure context (open it over https or on localhost)");
    }
    const audio = { ...CONSTRAINTS };
    if (deviceId) audio.deviceId = { exact: deviceId };
    try {
      return await navigator.mediaDevices.getUserMedia({ audio, video: false });
    } catch (err) {
      if (!deviceId || err.name !== "OverconstrainedError") throw err;
      return navigator.mediaDevices.getUserMedia({ audio: CONSTRAINTS, video: false }); // the device went away
    }
  }

  #maybeCloseMic(force = false) {
    if (!this.#mic || this.#micOpening) return;
    if (!force && (this.#previews > 0 || this.status !== "off")) return;
    if (force && this.#previews > 0) return;
    this.#stopMic(this.#mic);
    this.#mic = null;
    clearInterval(this.#levelTimer);
    this.#levelTimer = 0;
    this.level = 0;
    this.speaking = false;
    this.emit("level", 0);
    this.emit("change");
  }

  #stopMic(mic) {
    mic.source.disconnect();
    for (const t of [...mic.raw.getTracks(), mic.send]) t.stop();
  }

  #readLevel() {
    const a = this.#mic?.analyser;
    if (!a) return;
    const buf = new Float32Array(a.fftSize);
    a.getFloatTimeDomainData(buf);
    let sum = 0;
    for (const x of buf) sum += x * x;
    const db = 10 * Math.log10(sum / buf.length + 1e-12);
    const now = performance.now();
    if (db > SPEAKING_DB) this.#loudAt = now;
    this.level = Math.max(0, Math.min(1, (db - FLOOR_DB) / -FLOOR_DB));
    const speaking = now - this.#loudAt < HANGOVER_MS;
    this.emit("level", this.level);
    if (speaking !== this.speaking) {
      this.speaking = speaking;
      this.#sendState();
      this.emit("change");
    }
  }

  #applySending() {
    if (this.#mic) this.#mic.send.enabled = this.sending;
    this.#sendState();
    this.emit("change");
  }

  /** voice_state when what the others see changed, at most STATE_HZ a second. */
  #sendState() {
    if (!this.joined) return;
    const body = { muted: !this.sending, speaking: this.sending && this.speaking };
    const mine = this.members.get(this.me.id);
    if (mine) this.members.set(this.me.id, { ...mine, ...body });
    const key = JSON.stringify(body);
    if (key === this.#stateSent || this.#stateTimer) return;
    const wait = this.#stateAt + 1000 / STATE_HZ - performance.now();
    if (wait > 0) {
      this.#stateTimer = setTimeout(() => {
        this.#stateTimer = 0;
        this.#sendState();
      }, wait);
      return;
    }
    this.#stateAt = performance.now();
    this.#stateSent = key;
    this.send("voice_state", body);
  }

  async #sink(audio) {
    if (!this.outputSupported) return;
    try {
      await audio.setSinkId(this.outputId);
    } catch {
      // The chosen output went away: the default plays.
      if (this.outputId) await audio.setSinkId("").catch(() => {});
    }
  }

  #setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.emit("change");
  }

  #fail(err) {
    console.warn("voice:", err);
    this.emit("error", `Voice: ${err.message ?? err}`);
  }
}

/** The page's one voice engine (the tests reach it with `await import("/web/js/voice.js")`). */
export const voice = new VoiceEngine();
