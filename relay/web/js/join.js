// Joining by link: `{base}/s/{sid}#t={token}`. The token is read from the fragment (never sent
// to a server), removed from the address bar, and kept in sessionStorage for reloads; the tab's
// client id lives there too. The display name is asked for once and kept in localStorage.
// Before that, the relay is asked whether the link holds (GET /api/sessions/{sid}/link): a
// tampered, expired or closed link shows the relay's sentence and never asks for a name.

import { NAME_HINT_CHARS, tokenClaims, uuid } from "./protocol.js";

const NAME_KEY = "overshoulder.name";

// The relay's answer about the link read last: null when it holds (or cannot be asked now: the
// socket then says what is wrong), else the sentence of its refusal.
let linkCheck = Promise.resolve(null);

/** {sid, token, clientId, claims} of the link this page was opened with; null off a session. */
export function readInvite() {
  const m = location.pathname.match(/^\/s\/([A-Za-z0-9_-]+)\/?$/);
  if (!m) return null;
  const sid = m[1];
  const tokenKey = `overshoulder.token.${sid}`;
  const fragment = new URLSearchParams(location.hash.slice(1));
  const fresh = fragment.get("t");
  if (fresh) {
    sessionStorage.setItem(tokenKey, fresh);
    history.replaceState(null, "", location.pathname + location.search);
  }
  const token = fresh || sessionStorage.getItem(tokenKey);
  const clientKey = `overshoulder.client.${sid}`;
  let clientId = sessionStorage.getItem(clientKey);
  if (!clientId) {
    clientId = uuid();
    sessionStorage.setItem(clientKey, clientId);
  }
  if (token) linkCheck = checkLink(sid, token);
  return { sid, token, clientId, claims: token ? tokenClaims(token) : {} };
}

async function checkLink(sid, token) {
  let response;
  try {
    response = await fetch(`/api/sessions/${encodeURIComponent(sid)}/link`, {
      headers: { Authorization: `Bearer ${token}` },
      cache: "no-store",
    });
  } catch {
    return null; // the relay is unreachable: joining retries and says so
  }
  if (response.ok || ![401, 403, 404].includes(response.status)) return null;
  const body = await response.json().catch(() => null);
  return body?.error?.message || `the relay refused this link (HTTP ${response.status})`;
}

/** The name to join with: the one the link carries, the remembered one, or asked for now;
 * never, when the relay refuses the link (its sentence shows instead). */
export async function askName(gate, claims) {
  const refusal = await linkCheck;
  if (refusal) {
    showGate(gate, "refused", refusal.charAt(0).toUpperCase() + refusal.slice(1));
    return new Promise(() => {}); // nothing to join
  }
  if (claims.nm) return claims.nm;
  const saved = localStorage.getItem(NAME_KEY);
  if (saved) return saved;
  const form = gate.querySelector("#name-form");
  const input = form.querySelector("input");
  input.maxLength = NAME_HINT_CHARS;
  showGate(gate, "name");
  setTimeout(() => input.focus(), 0);
  return new Promise((resolve) => {
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const name = input.value.trim();
      if (!name) return;
      localStorage.setItem(NAME_KEY, name);
      showGate(gate, null);
      resolve(name);
    });
  });
}

/** Shows one panel of the gate (name, refused, landing, nolink), or hides the gate. */
export function showGate(gate, which, message = "") {
  gate.hidden = !which;
  for (const panel of gate.querySelectorAll("[data-gate]")) panel.hidden = panel.dataset.gate !== which;
  const text = gate.querySelector(`[data-gate="${which}"] .gate-message`);
  if (text && message) text.textContent = message;
}
