// Keyboard shortcuts. Keys typed into a text field stay there; space alone plays or pauses,
// space held while dragging pans (so it is acted on at key-up, if no drag used it); M mutes
// voice, and the push-to-talk key talks while held.

export const TOOL_KEYS = {
  p: "pen",
  l: "line",
  a: "arrow",
  r: "rect",
  e: "ellipse",
  t: "text",
  x: "eraser",
  v: "select",
  h: "hand",
  k: "laser",
};

/** Every key (KeyboardEvent.key, lower case) a shortcut takes: push-to-talk may not. */
export const SHORTCUT_KEYS = new Set([
  ...Object.keys(TOOL_KEYS),
  ...[" ", "f", "1", "i", "o", "m", "n", "z", "y", "Escape", "Delete", "Backspace", "Enter", "Tab"],
  ...["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"],
]);

export function bindKeys(actions) {
  addEventListener("keydown", (e) => {
    if (isTyping(e.target)) return;
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    const mod = e.ctrlKey || e.metaKey;
    if (mod && key === "z") {
      e.preventDefault();
      if (e.shiftKey) actions.redo();
      else actions.undo();
      return;
    }
    if (mod && key === "y") {
      e.preventDefault();
      actions.redo();
      return;
    }
    if (mod || e.altKey) return;
    // Push-to-talk: a key the user chose (by its code, whatever the layout), held.
    if (actions.hold?.(e.code, true)) {
      e.preventDefault();
      return;
    }
    const handled = {
      " ": () => !e.repeat && actions.space(true),
      ArrowLeft: () => actions.step(e.shiftKey ? -10 : -1),
      ArrowRight: () => actions.step(e.shiftKey ? 10 : 1),
      ArrowUp: () => actions.note(-1),
      ArrowDown: () => actions.note(1),
      Escape: () => actions.escape(),
      Delete: () => actions.deleteSelected(),
      Backspace: () => actions.deleteSelected(),
      f: () => actions.fit(),
      1: () => actions.actual(),
      i: () => actions.loop("in"),
      o: () => actions.loop("out"),
      m: () => actions.mute?.(),
    }[key];
    if (handled) {
      e.preventDefault();
      handled();
    } else if (TOOL_KEYS[key]) {
      actions.tool(TOOL_KEYS[key]);
    }
  });
  addEventListener("keyup", (e) => {
    if (e.key === " " && !isTyping(e.target)) actions.space(false);
    actions.hold?.(e.code, false);
  });
}

function isTyping(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}
