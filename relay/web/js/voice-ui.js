// Voice in the page: the top bar's voice control (join, mute, leave, settings), its popover
// (the microphone's level also before joining, input and output devices, the push-to-talk
// key), and what People shows of each person in voice (speaking, muted, listening, a volume,
// the host's "let speak" for a viewer, "no audio link" when the call to them could not
// connect). The engine (voice.js) does the work.

import { el, icon } from "./dom.js";
import { SHORTCUT_KEYS } from "./keyboard.js";

// Names of keys whose code does not say it plainly.
const KEY_NAMES = {
  Backquote: "` (backquote)",
  Backslash: "\\",
  BracketLeft: "[",
  BracketRight: "]",
  Semicolon: ";",
  Quote: "'",
  Comma: ",",
  Period: ".",
  Slash: "/",
  Minus: "-",
  Equal: "=",
  ShiftLeft: "left Shift",
  ShiftRight: "right Shift",
  ControlLeft: "left Ctrl",
  ControlRight: "right Ctrl",
  AltLeft: "left Alt",
  AltRight: "right Alt",
  CapsLock: "Caps Lock",
};

/** How a KeyboardEvent.code reads to people: "KeyB" -> "B", "Backquote" -> "` (backquote)". */
export function keyName(code) {
  if (/^Key[A-Z]$/.test(code)) return code.slice(3);
  if (/^Digit\d$/.test(code)) return code.slice(5);
  return KEY_NAMES[code] ?? code;
}

export class VoiceBar {
  #badges = new Map(); // participant id -> its badge in People (kept, updated in place)
  #controls = new Map();
  #capturing = false;
  #previewing = false;
  #roster = "";

  /**
   * `root`: the top bar's #voice; `popover`: #voice-popover; `people`: the PeopleList (it asks
   * `badge(id)` and `controls(id)` for each row); `state`: the session (roles, names);
   * `toast(message)`: a passing message (the relay's refusals the page shows already).
   */
  constructor(root, popover, voice, { people, state, toast }) {
    Object.assign(this, { root, popover, voice, people, state, toast });
    const $ = (sel) => root.querySelector(sel) ?? popover.querySelector(sel);
    this.joinButton = $("#voice-join");
    this.muteButton = $("#voice-mute");
    this.leaveButton = $("#voice-leave");
    this.settingsButton = $("#voice-settings");
    this.listening = $("#voice-listening");
    this.popJoin = $("#voice-pop-join");
    this.input = $("#voice-input");
    this.output = $("#voice-output");
    this.ptt = $("#voice-ptt");
    this.note = $("#voice-note");
    this.meters = [...root.querySelectorAll(".level"), ...popover.querySelectorAll(".level")];

    const join = () => voice.join();
    this.joinButton.addEventListener("click", join);
    this.popJoin.addEventListener("click", () => (voice.status === "off" ? join() : voice.leave()));
    this.leaveButton.addEventListener("click", () => voice.leave());
    this.muteButton.addEventListener("click", () => voice.toggleMute());
    this.settingsButton.addEventListener("click", () => this.#open(this.popover.hidden));
    this.input.addEventListener("change", () => voice.setInput(this.input.value));
    this.output.addEventListener("change", () => voice.setOutput(this.output.value));
    this.ptt.addEventListener("click", () => this.#capture());
    addEventListener("pointerdown", (e) => {
      if (!popover.hidden && !popover.contains(e.target) && !this.settingsButton.contains(e.target)) this.#open(false);
    });
    addEventListener("keydown", (e) => e.key === "Escape" && !this.#capturing && this.#open(false));
    // A headset plugged in or out while the settings show: the pickers follow.
    navigator.mediaDevices?.addEventListener?.("devicechange", () => !popover.hidden && this.#fillDevices());
    // A key let go while the page had no focus never comes: push-to-talk stops with the focus.
    addEventListener("blur", () => voice.hold(false));

    voice.on("change", () => this.render());
    voice.on("level", (level) => this.#level(level));
    voice.on("allowed", (yes) => toast(yes ? "The host lets you speak." : "The host took your microphone away."));
    voice.on("error", (message) => toast(message));
    voice.on("linkfailed", (pid, reason) =>
      toast(`Voice could not connect to ${state.name(pid)}: ${reason}.`, [["Retry", () => voice.retry(pid)]]),
    );
    state.on("people", () => this.render());
    this.render();
  }

  /** The keyboard's M. */
  toggleMute() {
    if (this.voice.joined && this.voice.canSpeak) this.voice.toggleMute();
  }

  /** The push-to-talk key down or up; true when `code` is that key (the keyboard then stops). */
  hold(code, down) {
    if (code !== this.voice.pttCode || this.#capturing) return false;
    if (!this.voice.joined || !this.voice.canSpeak) return false;
    this.voice.hold(down);
    return true;
  }

  render() {
    const v = this.voice;
    const joined = v.joined;
    const speak = v.canSpeak;
    this.root.hidden = !v.me;
    this.root.dataset.status = v.status;
    this.joinButton.hidden = v.status !== "off";
    this.joinButton.disabled = false;
    this.leaveButton.hidden = v.status === "off";
    this.muteButton.hidden = !joined || !speak;
    this.listening.hidden = !joined || speak;
    const sending = v.sending;
    const talking = sending && v.muted && v.held;
    this.muteButton.setAttribute("aria-pressed", String(!sending));
    this.muteButton.dataset.state = sending ? (talking ? "ptt" : "live") : "muted";
    this.muteButton.querySelector(".label").textContent = sending ? (talking ? "Talking" : "Mic on") : "Muted";
    this.muteButton.querySelector("svg").replaceWith(icon(sending ? "mic" : "mic-off"));
    const key = keyName(v.pttCode);
    this.muteButton.title = sending
      ? `Your microphone is on: click or press M to mute`
      : `You are muted: click or press M to unmute, or hold ${key} to talk`;
    if (v.status === "joining") this.leaveButton.title = "Joining voice… (click to stop)";
    else this.leaveButton.title = "Leave voice";
    this.leaveButton.querySelector(".label").textContent = v.status === "joining" ? "Joining…" : "Leave";

    // The popover.
    this.popJoin.textContent = v.status === "off" ? "Join voice" : "Leave voice";
    this.popJoin.className = v.status === "off" ? "primary" : "ghost danger";
    this.popover.querySelector(".voice-mic").hidden = !speak;
    this.ptt.textContent = this.#capturing ? "Press a key…" : key;
    this.ptt.title = this.#capturing ? "Press the key to hold while you talk (Esc: keep the old one)" : "Click, then press the key to hold while you talk";
    this.ptt.setAttribute("aria-pressed", String(this.#capturing));
    const notes = [];
    if (v.micError) notes.push(v.micError);
    else if (!speak) notes.push("You are listening. The host can let you speak.");
    else if (joined && !sending && v.speaking) notes.push("You are muted: the others do not hear you.");
    if (v.linkError) notes.push(v.linkError);
    const failed = joined ? [...v.members.keys()].filter((id) => v.linkState(id)?.state === "failed") : [];
    if (failed.length) notes.push(`Voice could not connect to ${failed.map((id) => this.state.name(id)).join(", ")}: see People.`);
    if (v.members.size && !joined) notes.push(`${v.members.size} in voice now.`);
    this.note.textContent = notes.join(" ");
    this.note.hidden = !notes.length;
    this.popover.querySelector(".voice-output").hidden = !v.outputSupported;
    this.#renderPeople();
  }

  // --- People ------------------------------------------------------------------------------

  /** The voice badge of a row: speaking, muted or listening; none for people not in voice. */
  badge(id) {
    const m = this.voice.members.get(id);
    if (!m) return null;
    let b = this.#badges.get(id);
    if (!b) {
      b = el("span", { className: "voice-badge", dataset: { id } });
      this.#badges.set(id, b);
    }
    this.#paintBadge(b, m);
    return b;
  }

  /** The row's voice controls: a volume for someone heard, the host's "let speak" for a viewer,
   * and "no audio link" (why, in its tooltip; Retry) when the link to them gave up. */
  controls(id) {
    const v = this.voice;
    const m = v.members.get(id);
    const me = v.me?.id === id;
    if (!m || me) return null;
    const role = this.state.people.get(id)?.role;
    const host = v.me?.role === "host";
    const link = v.joined ? v.linkState(id) : null;
    const failed = link?.state === "failed";
    const volume = v.joined && m.can_speak && !failed;
    const allow = host && role === "viewer";
    if (!volume && !allow && !failed) return null;
    let c = this.#controls.get(id);
    if (!c) {
      const slider = el("input", {
        type: "range",
        min: "0",
        max: "1",
        step: "0.05",
        className: "voice-volume",
        oninput: () => v.setVolume(id, slider.value),
      });
      const allowButton = el("button", { className: "voice-allow", onclick: () => v.allow(id, !v.members.get(id)?.can_speak) });
      const noLink = el("span", { className: "voice-nolink" }, "no audio link");
      const retry = el("button", { className: "voice-retry", onclick: () => v.retry(id) }, "Retry");
      const root = el("span", { className: "voice-controls" }, noLink, retry, icon("volume"), slider, allowButton);
      c = { root, slider, allowButton, noLink, retry };
      this.#controls.set(id, c);
    }
    const name = this.state.name(id);
    c.slider.hidden = !volume;
    c.root.querySelector(".icon").style.display = volume ? "" : "none";
    c.slider.value = String(v.volume(id));
    c.slider.setAttribute("aria-label", `Volume of ${name}`);
    c.slider.title = `${name}'s volume: ${Math.round(v.volume(id) * 100)}%`;
    c.noLink.hidden = c.retry.hidden = !failed;
    c.noLink.title = failed ? `No audio link with ${name}: ${link.reason}.` : "";
    c.retry.title = `Try to connect to ${name} again`;
    c.allowButton.hidden = !allow;
    c.allowButton.textContent = m.can_speak ? "Stop speaking" : "Let speak";
    c.allowButton.title = m.can_speak ? `Take ${name}'s microphone away` : `Let ${name} speak in voice`;
    return c.root;
  }

  #paintBadge(b, m) {
    const me = this.voice.me?.id === m.id;
    const speaking = me ? this.voice.sending && this.voice.speaking : m.speaking && !m.muted;
    const kind = !m.can_speak ? "listening" : speaking ? "speaking" : m.muted ? "muted" : "open";
    if (b.dataset.kind === kind) return;
    b.dataset.kind = kind;
    const [glyph, title] = {
      listening: ["headset", "In voice, listening"],
      speaking: ["mic", "Speaking"],
      muted: ["mic-off", "Muted"],
      open: ["mic", "In voice, microphone on"],
    }[kind];
    b.title = title;
    b.setAttribute("aria-label", title);
    b.replaceChildren(icon(glyph));
  }

  #renderPeople() {
    // Who is in voice (and what they may do) decides the rows; flags only repaint badges.
    const v = this.voice;
    const failed = (id) => v.linkState(id)?.state === "failed";
    const key = JSON.stringify([v.status, [...v.members.values()].map((m) => [m.id, m.can_speak, failed(m.id)])]);
    for (const id of this.#badges.keys()) if (!v.members.has(id)) this.#badges.delete(id);
    if (key !== this.#roster) {
      this.#roster = key;
      this.people.render();
      return;
    }
    for (const [id, b] of this.#badges) this.#paintBadge(b, v.members.get(id));
  }

  // --- the popover -------------------------------------------------------------------------

  async #open(open) {
    this.popover.hidden = !open;
    this.settingsButton.setAttribute("aria-expanded", String(open));
    if (open) {
      const r = this.settingsButton.getBoundingClientRect();
      const left = Math.min(r.left, innerWidth - this.popover.offsetWidth - 8);
      Object.assign(this.popover.style, { left: `${Math.max(8, left)}px`, top: `${r.bottom + 6}px` });
    }
    // The meter shows while the popover does, before joining too (the microphone opens for it).
    if (open !== this.#previewing) {
      this.#previewing = open;
      await this.voice.preview(open);
    }
    if (open) await this.#fillDevices();
  }

  async #fillDevices() {
    const { inputs, outputs } = await this.voice.devices();
    const fill = (select, devices, chosen, word) => {
      const options = [el("option", { value: "" }, "Default")];
      devices.forEach((d, i) => {
        if (d.deviceId && d.deviceId !== "default") options.push(el("option", { value: d.deviceId }, d.label || `${word} ${i + 1}`));
      });
      select.replaceChildren(...options);
      select.value = chosen && devices.some((d) => d.deviceId === chosen) ? chosen : "";
    };
    fill(this.input, inputs, this.voice.inputId, "Microphone");
    fill(this.output, outputs, this.voice.outputId, "Output");
  }

  #capture() {
    if (this.#capturing) return;
    this.#capturing = true;
    this.render();
    const done = (e) => {
      e.preventDefault();
      e.stopImmediatePropagation();
      if (e.key !== "Escape") {
        const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
        if (SHORTCUT_KEYS.has(key)) {
          this.#say(`${keyName(e.code)} is a shortcut of this page already: choose another key.`);
          return;
        }
        this.voice.setPttCode(e.code);
      }
      removeEventListener("keydown", done, true);
      this.#capturing = false;
      this.render();
    };
    addEventListener("keydown", done, true);
  }

  #level(level) {
    for (const m of this.meters) m.style.setProperty("--level", level.toFixed(3));
    const v = this.voice;
    this.root.dataset.hot = String(v.speaking);
    if (v.me) {
      const b = this.#badges.get(v.me.id);
      const m = v.members.get(v.me.id);
      if (b && m) this.#paintBadge(b, m);
    }
  }

  #say(message) {
    this.note.textContent = message;
    this.note.hidden = !message;
  }
}
