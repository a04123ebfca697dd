// The app panel's voice page: the reviewer page's voice engine (voice.js) with its signalling
// carried by the panel's session over Qt's web channel. The panel injects Qt's qwebchannel.js
// (so this page's policy need not allow it) and registers its bridge as `voice`:
//   bridge.send(type, json)   a voice message for the relay (the panel's SessionClient sends it)
//   bridge.report(json)       the engine's state for the panel's bar (status, level, devices...)
//   bridge.ready()            this page listens now
//   bridge.note(mime, base64, ms)  a voice note recorded here (the panel uploads it)
//   bridge.message(type, json)  a message from the relay (voice_*, welcome, synced, error)
//   bridge.command(name, json)  what the panel's bar asks (join, mute, talk, preview, devices...)

import { voice } from "./voice.js";
import { BITS_PER_SECOND, MARGIN_MS, NOTE_MIC, RECORDING_TYPES, SHORTEST_MS } from "./voice-note.js";

// How often the level goes to the panel at most (its meter needs no more).
const LEVEL_HZ = 12;

/**
 * Records voice notes for the panel, as the reviewer page's recorder does (the same formats,
 * bit rate, microphone and limits, from voice-note.js): `start()` while the panel's button is
 * held, `stop()` on release; the recording goes to the panel as base64 (`bridge.note`), which
 * uploads it. `report(extra)` says what happens (`recording`, `note_error`).
 */
export class NoteRecorder {
  #take = null;

  constructor(bridge, report, maxSeconds = 60) {
    Object.assign(this, { bridge, report, maxSeconds });
  }

  async start() {
    if (this.#take) return;
    const type = RECORDING_TYPES.find((t) => window.MediaRecorder?.isTypeSupported(t));
    if (!type) return this.report({ note_error: "this web engine cannot record Opus audio" });
    const take = (this.#take = { type, chunks: [], released: false, recorder: null, stream: null });
    try {
      take.stream = await navigator.mediaDevices.getUserMedia(NOTE_MIC);
    } catch (err) {
      this.#take = null;
      return this.report({ recording: false, note_error: `no microphone for a voice note: ${err.message}` });
    }
    if (take.released) return this.#finish(take);
    const recorder = (take.recorder = new MediaRecorder(take.stream, { mimeType: type, audioBitsPerSecond: BITS_PER_SECOND }));
    recorder.addEventListener("dataavailable", (e) => e.data.size && take.chunks.push(e.data));
    recorder.addEventListener("stop", () => this.#finish(take));
    take.started = performance.now();
    recorder.start(250);
    take.timer = setTimeout(() => this.stop(), this.maxSeconds * 1000 - MARGIN_MS);
    this.report({ recording: true });
  }

  stop() {
    const take = this.#take;
    if (!take || take.released) return;
    take.released = true;
    take.ms = take.started ? performance.now() - take.started : 0;
    clearTimeout(take.timer);
    if (take.recorder && take.recorder.state !== "inactive") take.recorder.stop();
  }

  async #finish(take) {
    for (const t of take.stream?.getTracks() ?? []) t.stop();
    if (this.#take === take) this.#take = null;
    if (!take.recorder || take.ms < SHORTEST_MS) {
      return this.report({ recording: false, note_error: "hold the button while you speak; release to keep the note" });
    }
    const mime = take.type.split(";")[0];
    const bytes = new Uint8Array(await new Blob(take.chunks, { type: mime }).arrayBuffer());
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    this.report({ recording: false });
    this.bridge.note(mime, btoa(text), take.ms);
  }
}

/** Runs `voice` over `bridge` (the panel's QObject as the channel shows it). */
export function run(bridge, engine = voice) {
  const listeners = [];
  engine.attach({
    send(type, data) {
      bridge.send(type, JSON.stringify(data ?? {}));
      return true;
    },
    onMessage(cb) {
      listeners.push(cb);
    },
  });
  bridge.message.connect((type, json) => {
    const data = json ? JSON.parse(json) : {};
    for (const cb of listeners) cb({ type, data });
  });

  const report = (extra = {}) =>
    bridge.report(
      JSON.stringify({
        status: engine.status,
        muted: engine.muted,
        held: engine.held,
        speaking: engine.speaking,
        sending: engine.sending,
        can_speak: engine.canSpeak,
        level: engine.level,
        mic_error: engine.micError,
        ...extra,
      }),
    );
  let devicesSent = "";
  const reportDevices = async () => {
    const { inputs, outputs } = await engine.devices();
    const shape = (d) => ({ id: d.deviceId, label: d.label });
    const body = {
      inputs: inputs.map(shape),
      outputs: engine.outputSupported ? outputs.map(shape) : [],
      input: engine.inputId || "default",
      output: engine.outputId || "default",
    };
    const key = JSON.stringify(body);
    if (key === devicesSent) return;
    devicesSent = key;
    report(body);
  };
  let levelAt = 0;
  engine.on("level", (level) => {
    const now = performance.now();
    if (now - levelAt < 1000 / LEVEL_HZ && level > 0) return;
    levelAt = now;
    bridge.report(JSON.stringify({ level, speaking: engine.speaking }));
  });
  engine.on("change", () => {
    report();
    reportDevices().catch(() => {});
  });
  engine.on("error", (message) => report({ error: String(message) }));
  engine.on("refused", (message) => report({ error: String(message), fatal: true }));
  engine.on("allowed", (allowed) => report({ allowed: !!allowed }));
  engine.on("remote", () =>
    report({ remotes: [...engine.members.keys()].filter((pid) => !!engine.streamOf(pid)) }),
  );

  const notes = new NoteRecorder(bridge, report);
  const commands = {
    record: (d) => (d.on ? notes.start() : notes.stop()),
    join: (d) => {
      if (typeof d.muted === "boolean") engine.setMuted(d.muted);
      return engine.join();
    },
    leave: () => engine.leave(),
    mute: (d) => engine.setMuted(!!d.muted),
    talk: (d) => engine.hold(!!d.down),
    push_to_talk: (d) => {
      if (!d.on) engine.hold(false);
    },
    preview: (d) => engine.preview(!!d.on),
    input: (d) => engine.setInput(d.id === "default" ? "" : d.id),
    output: (d) => engine.setOutput(d.id === "default" ? "" : d.id),
    gain: (d) => engine.setVolume(d.id, d.gain),
    connection_lost: () => engine.connectionLost(),
  };
  bridge.command.connect((name, json) => {
    const fn = commands[name];
    if (!fn) return report({ error: `the panel asked for ${name}, which this page does not know` });
    Promise.resolve(fn(json ? JSON.parse(json) : {})).catch((err) =>
      report({ error: `${name}: ${err.message ?? err}` }),
    );
  });
  bridge.ready();
  report();
  window.__voice = engine; // for diagnostics (the panel's checks read the engine's links)
}

if (typeof qt !== "undefined" && typeof QWebChannel !== "undefined") {
  new QWebChannel(qt.webChannelTransport, (channel) => run(channel.objects.voice));
}
