// The chat: persisted lines from everyone (text only), and a box to write one.

import { clockTime, el, personColor } from "./dom.js";

export class ChatPanel {
  constructor(root, state, { send, typing }) {
    this.log = root.querySelector("#chat-log");
    this.form = root.querySelector("#chat-form");
    this.input = root.querySelector("#chat-input");
    this.state = state;
    state.on("chat", () => this.render());
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = this.input.value.trim();
      if (!text) return;
      send(text);
      this.input.value = "";
      typing(false);
    });
    this.input.addEventListener("input", () => typing(this.input.value.length > 0));
    this.input.addEventListener("blur", () => typing(false));
  }

  setLimit(chars) {
    if (chars) this.input.maxLength = chars;
  }

  render() {
    const stick = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    const me = this.state.me?.id;
    const pending = new Set(this.state.outbox.entries().filter((i) => i.type === "chat").map((i) => i.data.id));
    if (!this.state.chat.length) {
      this.log.replaceChildren(el("li", { className: "empty" }, "No messages yet."));
      return;
    }
    this.log.replaceChildren(
      ...this.state.chat.map((line) =>
        el(
          "li",
          { className: `line${line.author === me ? " mine" : ""}${pending.has(line.id) ? " pending" : ""}` },
          el(
            "div",
            { className: "meta" },
            el("span", { className: "author", style: { color: personColor(line.author) } }, line.author_name ?? "someone"),
            el("time", {}, pending.has(line.id) ? "sending…" : clockTime(line.ts)),
          ),
          el("div", { className: "text" }, line.text),
        ),
      ),
    );
    if (stick) this.log.scrollTop = this.log.scrollHeight;
  }
}
