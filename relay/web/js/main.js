// The browser reviewer: joins the session named by the link and wires the parts together:
// connection and state, media and the stage, tools and notes, playback, the side panels.

import { ChatPanel } from "./chat.js";
import { Connection } from "./connection.js";
import { FrameDecoder, decodeFrame } from "./decode.js";
import { burnIn, save } from "./download.js";
import { FrameCache, FrameFiles } from "./frame-cache.js";
import { el, icon } from "./dom.js";
import { askName, readInvite, showGate } from "./join.js";
import { bindKeys } from "./keyboard.js";
import { Trails } from "./laser.js";
import { MediaLink } from "./media.js";
import { NoteList } from "./note-list.js";
import { Notes } from "./notes.js";
import { Outbox } from "./outbox.js";
import { DrawingNotice, PeopleList } from "./people.js";
import { Playback } from "./playback.js";
import { holds, lastFrame, uuid } from "./protocol.js";
import { paintMark } from "./shapes.js";
import { SessionState } from "./state.js";
import { Throttle } from "./throttle.js";
import { TimelineBar, timecode } from "./timeline.js";
import { Toolbar } from "./toolbar.js";
import { Tools } from "./tools.js";
import { Viewer } from "./viewer.js";
import { VoiceMarkers, VoicePlayer, VoiceRecorder } from "./voice-note.js";
import { voice } from "./voice.js";
import { VoiceBar } from "./voice-ui.js";
import { WatermarkLayer, marked, watermarkText } from "./watermark.js";

// Frames this page keeps by hash (the relay then sends repeats as references: a loop is
// streamed once), and the most encoded bytes they may take.
const CACHE_FRAMES = 64;
const CACHE_BYTES = 256 * 1024 * 1024;
// Drafts of a mark being drawn, a second (each carries the whole shape so far).
const DRAFT_HZ = 20;
// Share of the relay's rate limits the page uses (headroom for bursts).
const RATE_SHARE = 0.5;
// Quiet time before a new canvas size is asked of the host.
const RESIZE_DEBOUNCE_MS = 300;
const TOAST_MS = 5000;

const $ = (sel) => document.querySelector(sel);
const gate = $("#gate");

const invite = readInvite();
if (!invite) showGate(gate, "landing");
else if (!invite.token) showGate(gate, "nolink");
else askName(gate, invite.claims).then((name) => join(invite, name));

function join({ sid, token, clientId }, name) {
  const app = $("#app");
  app.hidden = false;
  const socketBase = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}`;
  const outbox = new Outbox(`overshoulder.outbox.${sid}.${clientId}`);
  const conn = new Connection({ url: `${socketBase}/ws`, token, name, clientId, outbox });
  const state = new SessionState(outbox);
  const cache = new FrameCache(CACHE_FRAMES, CACHE_BYTES);
  const media = new MediaLink(`${socketBase}/ws/media`, cache);
  const viewer = new Viewer($("#stage"));
  const trails = new Trails();
  const frameIndex = new Map(); // frame number -> hash of the latest image seen for it
  const files = new FrameFiles(); // frame number -> the host's name for it (its file)
  let live = null; // header of the newest live frame
  let missing = null; // a frame shown while free that this page does not hold
  let wanted = null; // the frame the page is fetching for free viewing

  const displayFrame = () => viewer.image?.frame ?? missing ?? playback.current();

  // --- notes -------------------------------------------------------------------------------
  const notes = new Notes(conn, state, () => renderTools());
  const renderTools = () => toolbar.render();
  const onFrame = () => {
    const f = displayFrame();
    return [...state.notes.values()].filter((n) => holds(n.anchor, f) && !people.hidden.has(n.author));
  };

  function anchor() {
    const frame = displayFrame();
    if (frame === null || frame === undefined) return null;
    const a = { frame };
    const rate = state.playhead?.rate ?? state.stream?.rate;
    if (rate) a.time = { value: frame, rate };
    if (viewer.image?.hash && viewer.image.frame === frame) a.image = { hash: viewer.image.hash };
    return a;
  }

  // --- playback ----------------------------------------------------------------------------
  // Following, the frame is the one on screen (a frame that came is on screen once decoded).
  const liveFrame = () => (viewer.image ? viewer.image.frame : live?.frame) ?? null;
  const playback = new Playback({ conn, state, show: showFree, liveFrame });
  const decoder = new FrameDecoder(
    (frame, entry, bitmap) => {
      missing = null;
      const { width, height, rank } = entry;
      viewer.setImage({ bitmap, width, height, rank, frame: frame.frame, hash: frame.hash });
      frameShown();
    },
    (frame, err) => toast(`Frame ${frame.frame} could not be decoded: ${err.message}`),
  );

  /** The image of `frame`: the last one seen for it, else the one a note there was drawn on. */
  function hashOf(frame) {
    if (frameIndex.has(frame)) return frameIndex.get(frame);
    for (const n of state.notes.values()) if (n.anchor.frame === frame && n.anchor.image?.hash) return n.anchor.image.hash;
    return null;
  }

  function showFree(frame) {
    const hash = hashOf(frame);
    const entry = hash && cache.get(hash);
    wanted = frame;
    if (entry) return decoder.show({ frame, hash }, entry);
    viewer.setImage(null);
    missing = frame;
    frameShown();
    if (hash) fetchKept(frame, hash);
  }

  /** A frame a note was drawn on, from the relay's kept images (GET .../frames/{hash}). */
  async function fetchKept(frame, hash) {
    const r = await fetch(`/api/sessions/${sid}/frames/${hash}`, { headers: { Authorization: `Bearer ${token}` } });
    const codec = { "image/png": "png", "image/jpeg": "jpeg" }[r.headers.get("Content-Type")];
    if (!r.ok || !codec) return;
    const bytes = await r.arrayBuffer();
    const probe = await decodeFrame({ codec, bytes });
    const entry = cache.put({ hash, rank: 0, codec, bytes, width: probe.width, height: probe.height });
    probe.close();
    if (wanted === frame && !playback.following) decoder.show({ frame, hash }, entry);
  }

  media.on("frame", (header, entry) => {
    frameIndex.set(header.frame, header.hash);
    files.note(header.frame, state.stream?.name);
    live = header;
    if (playback.following || playback.driving) decoder.show(header, entry);
    renderTransport();
  });
  media.on("miss", (header) => conn.send("frame_request", { hash: header.hash }));
  media.on("error", (err) => toast(`Frames: ${err.message}`));

  function frameShown() {
    const img = viewer.image;
    const msg = $("#stage-message");
    msg.hidden = !!img;
    if (!img) msg.textContent = missing !== null ? `Frame ${missing} is not on this page` : "Waiting for the first frame…";
    $("#frame-info").textContent = img ? `${img.width}×${img.height} · ${["fast", "refined", "lossless"][img.rank]}` : "";
    noteList.markFrame(displayFrame());
    drawingNotice.render();
    renderTools();
    renderTransport();
    viewer.requestDraw();
  }

  // --- the stage ---------------------------------------------------------------------------
  const draftSend = new Throttle((mark) => {
    conn.send("draft", { id: mark.id, frame: mark.anchor.frame, shape: mark.shape, style: mark.style });
  }, 1);
  const pointerSend = new Throttle((x, y) => conn.send("pointer", { x, y, visible: true, frame: displayFrame() }), 1);

  const tools = new Tools(viewer, {
    canDraw: () => state.canDraw,
    canMark: () => {
      const a = anchor();
      if (!a) toast("Wait for a frame to draw on.");
      return a;
    },
    holdView,
    commit: (mark) => {
      const note = { id: mark.id, shape: mark.shape, style: mark.style, anchor: mark.anchor ?? anchor() };
      if (mark.text) note.text = mark.text;
      notes.add(note);
    },
    draft: (mark, done) => {
      if (!state.capabilities.has("draft")) return;
      if (done) {
        draftSend.cancel();
        conn.send("draft", { id: mark.id, done: true });
      } else {
        draftSend.call(mark);
      }
    },
    pointer: (x, y, visible) => {
      if (visible) {
        trails.add(state.me.id, x, y);
        pointerSend.call(x, y);
      } else {
        trails.hide(state.me?.id);
        pointerSend.cancel();
        conn.send("pointer", { x, y, visible: false });
      }
      viewer.requestDraw();
    },
    drawing: (on, mark) => {
      drawingOn = on ? mark.anchor.frame : null;
      if (on) holdView(mark.anchor);
      presence({ state: on ? "drawing" : "idle" });
    },
    changed: () => {
      renderTools();
      noteList.render();
    },
    redraw: () => viewer.requestDraw(),
    visibleNotes: onFrame,
    mine: (n) => notes.mine(n),
    note: (id) => state.notes.get(id),
    move: (id, before, after) => notes.move(id, before, after),
    erase: (ids) => notes.remove(ids),
    maxPoints: () => state.limits.max_stroke_points,
  });

  /** Drawing while the shot plays stops this page's view on the frame drawn on: a driver's
   * playback stops for everyone, a follower goes free on that frame. */
  function holdView(at) {
    const playing = playback.playing || (playback.following && !playback.driving && state.playhead?.playing);
    if (playing) playback.seek(at.frame);
  }
  // The frame of the stroke under way: a follower whose driver moves meanwhile stays on it.
  let drawingOn = null;
  state.on("playhead", () => {
    const moved = state.playhead?.frame !== drawingOn;
    if (drawingOn !== null && moved && playback.following && !playback.driving) playback.seek(drawingOn);
  });

  // Voice notes: recorded on the frame on screen, played from the stage and the notes list.
  const voicePlayer = new VoicePlayer({ sid, token, toast });
  const voiceMarkers = new VoiceMarkers($("#stage"), voicePlayer);
  new VoiceRecorder($("#voice-record"), $("#stage"), {
    sid,
    token,
    anchor: () => tools.hooks.canMark(),
    holdView,
    style: () => ({ color: [...tools.color], width: tools.width }),
    aspect: () => viewer.aspect,
    notesOn: (frame) => [...state.notes.values()].filter((n) => holds(n.anchor, frame)),
    add: (note) => notes.add(note),
    toast,
    maxSeconds: () => state.limits?.max_voice_note_s ?? 60,
    markers: voiceMarkers,
    frame: displayFrame,
    onLive: (cb) => conn.on("state", (s) => s === "live" && cb()),
  });

  const toolbar = new Toolbar($("#tools"), tools, notes, {
    clearMine: () => notes.remove(onFrame().filter((n) => n.author === state.me?.id).map((n) => n.id)),
    imageHeight: () => viewer.size?.height,
  });

  viewer.paintMarks = (ctx, map) => {
    const frame = displayFrame();
    for (const note of onFrame()) {
      if (!tools.hides(note.id)) paintMark(ctx, note, map, note.status === "done" ? 0.35 : 1);
    }
    for (const d of state.liveDrafts()) {
      if ((d.frame ?? frame) === frame && !people.hidden.has(d.from)) paintMark(ctx, d, map, 0.9);
    }
    tools.paint(ctx, map);
    voiceMarkers.place(onFrame(), map);
    if (trails.paint(ctx, map) || state.drafts.size) viewer.requestDraw();
  };

  let sizeTimer = 0;
  let sizeSent = "";
  function requestSize(force = false) {
    clearTimeout(sizeTimer);
    sizeTimer = setTimeout(() => {
      const [w, h] = viewer.deviceSize();
      const k = Math.max(1, viewer.magnification);
      const src = state.stream;
      const cap = (v, most) => Math.max(16, Math.min(16384, Math.round(most ? Math.min(v, most) : v)));
      const size = { max_width: cap(w * k, src?.width), max_height: cap(h * k, src?.height) };
      const key = JSON.stringify(size);
      if ((key !== sizeSent || force) && conn.send("frame_request", size)) sizeSent = key;
    }, force ? 0 : RESIZE_DEBOUNCE_MS);
  }
  viewer.on("resize", () => requestSize());
  viewer.on("view", () => {
    requestSize();
    renderZoom();
  });

  // --- presence ----------------------------------------------------------------------------
  const mine = { state: "idle", following: true };
  const presenceSend = new Throttle(() => conn.send("presence", { ...mine }), 1);
  function presence(change) {
    const before = JSON.stringify(mine);
    Object.assign(mine, change);
    if (JSON.stringify(mine) !== before) presenceSend.call();
  }
  document.addEventListener("visibilitychange", () => presence({ state: document.hidden ? "away" : "idle" }));

  // --- panels ------------------------------------------------------------------------------
  const people = new PeopleList($("#people"), state, () => {
    viewer.requestDraw();
    noteList.render();
  });
  const drawingNotice = new DrawingNotice($("#stage"), state, {
    goto: (frame) => playback.seek(frame),
    currentFrame: displayFrame,
  });
  const noteList = new NoteList($("#notes"), state, notes, {
    goto: (note) => playback.seek(note.anchor.frame),
    currentFrame: displayFrame,
    selected: () => tools.selected,
    play: (note) => voicePlayer.button(note),
  });
  const chat = new ChatPanel($("#chat"), state, {
    send: (text) => {
      const line = { id: uuid(), text };
      state.applyOwn("chat", line);
      conn.submit("chat", line);
    },
    typing: (on) => presence({ state: on ? "typing" : "idle" }),
  });
  const watermark = new WatermarkLayer($("#watermark"), {
    active: () => marked(state.session?.watermark, state.role),
    name: () => state.me?.name ?? "",
  });
  $("#watermark-mode").addEventListener("change", (event) => {
    const mode = event.target.value;
    state.applyOwn("session", { watermark: mode });
    conn.submit("session", { watermark: mode });
  });
  function renderWatermark() {
    $("#watermark-setting").hidden = state.role !== "host";
    $("#watermark-mode").value = state.session?.watermark ?? "viewers";
    watermark.render();
  }
  voice.attach({ send: (type, data) => conn.send(type, data), onMessage: (cb) => conn.on("message", cb) });
  const voiceBar = new VoiceBar($("#voice"), $("#voice-popover"), voice, { people, state, toast });
  people.voice = voiceBar;
  const bar = new TimelineBar($("#timeline"));
  bar.on("seek", (f) => playback.seek(f));

  // --- connection --------------------------------------------------------------------------
  conn.on("welcome", (data) => {
    state.onWelcome(data);
    media.open(data.media_ticket);
    app.dataset.role = data.participant.role;
    $("#tools").hidden = !state.canDraw;
    $("#me-name").textContent = data.participant.name;
    $("#me-role").textContent = data.participant.role;
    renderWatermark();
    chat.setLimit(state.limits.max_text_chars);
    // Rates from the relay's limits, with headroom for bursts.
    pointerSend.hz = state.limits.pointer_rate_hz * RATE_SHARE;
    draftSend.hz = Math.min(DRAFT_HZ, state.limits.pointer_rate_hz * RATE_SHARE);
    presenceSend.hz = state.limits.presence_rate_hz * RATE_SHARE;
  });
  conn.on("message", (msg) => {
    if (msg.type === "error") onError(msg.data);
    else state.apply(msg);
    if (msg.type === "synced") {
      requestSize(true);
      if (mine.state !== "idle" || !mine.following) presenceSend.call();
    }
  });
  conn.on("ack", (data, item) => state.onAck(data, item));
  conn.on("rejected", (err, item) => {
    toast(`Not kept (${item.type.replace("annotation_", "note ")}): ${err.message}`);
    conn.resync();
  });
  conn.on("state", renderConnection);
  conn.on("state", (s) => s !== "live" && voice.connectionLost());
  renderConnection(conn.state);

  function onError(err) {
    if (err.type === "hello" || err.code === "rate_limited") return;
    // A signal that crossed a peer's leaving: the link to it is closing anyway.
    if (err.type === "voice_signal" && err.code === "not_in_voice") return;
    toast(err.message);
  }

  function renderConnection(s) {
    const pill = $("#conn-state");
    pill.dataset.state = s;
    pill.textContent = {
      connecting: "connecting",
      live: "live",
      reconnecting: "reconnecting…",
      refused: `refused: ${conn.refusal}`,
      replaced: "open in another tab",
    }[s];
    app.dataset.state = s;
    if (s === "refused") {
      app.hidden = true;
      showGate(gate, "refused", conn.refusal.charAt(0).toUpperCase() + conn.refusal.slice(1));
    } else if (s === "replaced") {
      showGate(gate, "replaced");
    } else if (!gate.hidden && gate.querySelector('[data-gate="replaced"]:not([hidden])')) {
      showGate(gate, null);
    }
  }
  $("#take-back").addEventListener("click", () => conn.resume());

  // --- renders -----------------------------------------------------------------------------
  for (const kind of ["notes", "drafts", "pointer"]) state.on(kind, () => viewer.requestDraw());
  state.on("pointer", (d) => {
    if (d.visible === false) trails.hide(d.id);
    else trails.add(d.id, d.x, d.y, true, state.name(d.id));
  });
  state.on("notes", () => renderTransport());
  state.on("stream", () => {
    const s = state.stream ?? {};
    const colour = [s.colorspace, [s.display, s.view].filter(Boolean).join(" / ")].filter(Boolean).join(" → ");
    $("#colorspace").textContent = colour;
    $("#colorspace").title = colour ? `Frames taken as ${colour}` : "";
    $("#colorspace").hidden = !colour;
    requestSize();
    renderTransport();
  });
  state.on("session", () => {
    renderWatermark();
    const name = state.session?.name ?? "";
    $("#session-name").textContent = name;
    document.title = name ? `${name} — Overshoulder` : "Overshoulder";
    if (state.session?.closed) toast("The host closed this session: nothing more is kept.");
  });
  for (const kind of ["people", "lease"]) state.on(kind, () => renderTransport());
  state.on("lease", () => {
    if (state.driving && state.requestedBy) askedToDrive(state.requestedBy);
  });
  playback.on("changed", () => renderTransport());

  let transportQueued = 0;
  function renderTransport() {
    if (!transportQueued) transportQueued = requestAnimationFrame(drawTransport);
  }

  function drawTransport() {
    transportQueued = 0;
    // The readout names the image on screen; a frame asked for and still coming says so.
    const f = displayFrame();
    $("#frame-no").textContent = f ?? "—";
    const goingTo = playback.current();
    const coming = !playback.playing && goingTo !== null && f !== null && goingTo !== f;
    $("#frame-wanted").hidden = !coming;
    $("#frame-wanted").textContent = coming ? `→ ${goingTo}` : "";
    $("#frame-wanted").title = coming ? `Frame ${goingTo} is on its way` : "";
    const file = fileOf(f);
    $("#source-name").textContent = file;
    $("#source-name").title = file;
    $("#timecode").textContent = f !== null && f !== undefined ? timecode(f, playback.rate) : "--:--:--:--";
    $("#play").replaceChildren(icon(playback.playing ? "pause" : "play"));
    $("#play").title = playback.playing ? "Pause (Space)" : "Play (Space)";
    const driver = state.driver ? (state.driving ? "You drive" : `${state.name(state.driver)} drives`) : "Nobody drives";
    $("#driver-label").textContent = driver;
    const follow = $("#follow");
    follow.hidden = playback.driving;
    follow.setAttribute("aria-pressed", String(playback.following));
    follow.querySelector("span").textContent = playback.following ? "Following" : "Back to live";
    follow.title = playback.following
      ? "Following the driver; click to go free and step through frames on your own"
      : "You are free; click to follow the driver again";
    const drive = $("#drive");
    drive.hidden = !state.canDraw;
    drive.disabled = playback.asked;
    drive.querySelector("span").textContent = playback.driving ? "Give back" : playback.asked ? "Asked…" : "Ask to drive";
    drive.title = playback.driving ? "Hand the playhead back" : "Ask to drive the playhead for everyone";
    const held = new Set();
    for (const [frame, hash] of frameIndex) if (cache.has(hash)) held.add(frame);
    const noteSpans = [...state.notes.values()].map((n) => [n.anchor.frame, lastFrame(n.anchor)]);
    const seen = [...frameIndex.keys(), ...noteSpans.flat()];
    const r = playback.range;
    const cut = state.stream?.timeline;
    const lo = Math.min(...seen, r?.[0] ?? Infinity, cut?.start ?? Infinity, f ?? Infinity);
    const hi = Math.max(...seen, r?.[1] ?? -Infinity, cut?.end ?? -Infinity, f ?? -Infinity);
    $("#range-in").textContent = Number.isFinite(lo) ? lo : "";
    $("#range-out").textContent = Number.isFinite(hi) ? hi : "";
    const range = Number.isFinite(lo) ? [lo, hi] : null;
    const clips = cut?.clips ?? [];
    bar.update({ range, frame: f ?? null, noteSpans, heldFrames: held, loop: playback.loop, clips });
    renderZoom();
  }

  /** The host's name for the file of `frame`: as it came, or the note's, or the shared cut's
   * clip; a frame that never came here has none (not the host's file of another frame). */
  function fileOf(frame) {
    if (frame === null || frame === undefined) return state.stream?.name ?? "";
    const came = files.get(frame);
    if (came) return came;
    for (const n of state.notes.values()) if (n.anchor.frame === frame && n.anchor.image?.version) return n.anchor.image.version;
    const clip = bar.clipAt(frame);
    if (clip) return clip.media ?? clip.name;
    return playback.following && live?.frame === frame ? state.stream?.name ?? "" : "";
  }

  function renderZoom() {
    $("#zoom-100").textContent = viewer.fitting ? "Fit" : `${Math.round(viewer.percent(state.stream?.height))}%`;
  }

  // --- controls ----------------------------------------------------------------------------
  $("#play").addEventListener("click", () => playback.togglePlay());
  $("#step-back").addEventListener("click", () => playback.step(-1));
  $("#step-fwd").addEventListener("click", () => playback.step(1));
  $("#prev-note").addEventListener("click", () => jumpNote(-1));
  $("#next-note").addEventListener("click", () => jumpNote(1));
  $("#follow").addEventListener("click", () => (playback.following ? playback.seek(playback.current()) : playback.follow()));
  $("#drive").addEventListener("click", () => (playback.driving ? playback.release() : playback.claim()));
  $("#zoom-fit").addEventListener("click", () => viewer.fit());
  $("#zoom-100").addEventListener("click", () => viewer.actual(state.stream?.height));
  $("#download").addEventListener("click", download);
  $("#lossless").addEventListener("click", () => {
    if (conn.send("frame_request", { lossless: true })) toast("Asked the host for a lossless still of this image.");
  });
  playback.on("mode", () => {
    presence({ following: playback.following || playback.driving });
    if (playback.following && live) {
      const entry = cache.get(live.hash);
      if (entry) decoder.show(live, entry);
    }
    renderTransport();
  });

  function jumpNote(dir) {
    const f = displayFrame();
    const frames = [...new Set([...state.notes.values()].map((n) => n.anchor.frame))].sort((a, b) => a - b);
    const next = dir > 0 ? frames.find((x) => x > f) : frames.reverse().find((x) => x < f);
    if (next !== undefined) playback.seek(next);
  }

  async function download() {
    const img = viewer.image;
    if (!img) {
      toast(missing !== null ? `Frame ${missing} is not on this page.` : "There is no frame to download yet.");
      return;
    }
    const mark = marked(state.session?.watermark, state.role) ? watermarkText(state.me?.name ?? "") : null;
    const blob = await burnIn(img, onFrame(), mark);
    const base = (state.session?.name || "overshoulder").replace(/[^\w.-]+/g, "_");
    save(blob, `${base}_${img.frame}.png`);
  }

  function askedToDrive(pid) {
    const name = state.name(pid);
    toast(`${name} asks to drive.`, [
      ["Hand over", () => playback.handOver(pid)],
      ["Keep", () => {}],
    ]);
  }

  bindKeys({
    undo: () => state.canDraw && notes.undo(),
    redo: () => state.canDraw && notes.redo(),
    space: (down) => {
      tools.setSpace(down);
      if (!down && !tools.spaceUsed) playback.togglePlay();
    },
    step: (n) => playback.step(n),
    note: (dir) => jumpNote(dir),
    escape: () => {
      tools.cancel();
      tools.selected = null;
    },
    deleteSelected: () => {
      if (tools.selected && state.canDraw) notes.remove([tools.selected]);
      tools.selected = null;
    },
    fit: () => viewer.fit(),
    actual: () => viewer.actual(state.stream?.height),
    loop: (which) => playback.setLoop(which),
    tool: (name) => (state.canDraw || name === "hand") && tools.setTool(name),
    mute: () => voiceBar.toggleMute(),
    hold: (code, down) => voiceBar.hold(code, down),
  });
  renderTools();
  renderTransport();
  conn.start();
}

/** A short message in the corner; `actions`: [label, fn] buttons that also close it. */
function toast(message, actions = []) {
  const box = el("div", { className: "toast", attrs: { role: "status" } }, el("span", {}, message));
  for (const [label, fn] of actions) {
    const close = () => {
      fn();
      box.remove();
    };
    box.append(el("button", { onclick: close }, label));
  }
  $("#toasts").append(box);
  setTimeout(() => box.remove(), actions.length ? TOAST_MS * 3 : TOAST_MS);
}
