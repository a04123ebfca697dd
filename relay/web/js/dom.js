// Building DOM nodes. Text is always set as text (text nodes, textContent): nothing a user typed
// ever goes through innerHTML.

/**
 * `el("button", {className: "x", title: "...", onclick: fn, attrs: {"aria-pressed": "true"}},
 * "label", childNode)`: strings become text nodes.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  const { attrs, dataset, style, ...rest } = props;
  Object.assign(node, rest);
  for (const [k, v] of Object.entries(attrs ?? {})) node.setAttribute(k, v);
  Object.assign(node.dataset, dataset ?? {});
  Object.assign(node.style, style ?? {});
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
  return node;
}

/** An icon from the page's SVG sprite (index.html), by symbol id. */
export function icon(name) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("class", "icon");
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS("http://www.w3.org/2000/svg", "use");
  use.setAttribute("href", `#i-${name}`);
  svg.append(use);
  return svg;
}

/** A stable, distinct hue for a participant id (their dot in the people list and chat). */
export function personColor(id) {
  let h = 0;
  for (const ch of id ?? "") h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return `hsl(${h % 360}, 55%, 62%)`;
}

/** Local clock time of a relay timestamp (seconds since the epoch). */
export function clockTime(ts) {
  return ts ? new Date(ts * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : "";
}
