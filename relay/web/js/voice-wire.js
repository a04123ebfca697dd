// The voice signal's shapes as the relay speaks them (core/protocol/messages.py): candidates in
// snake_case, descriptions as {type, sdp}; the browser's objects use camelCase.

/** The relay's IceCandidate from an RTCIceCandidate. */
export function candidateToWire(c) {
  const out = { candidate: c.candidate };
  if (c.sdpMid !== null && c.sdpMid !== undefined) out.sdp_mid = c.sdpMid;
  if (c.sdpMLineIndex !== null && c.sdpMLineIndex !== undefined) out.sdp_mline_index = c.sdpMLineIndex;
  return out;
}

/** An RTCIceCandidateInit from the relay's IceCandidate. */
export function candidateFromWire(c) {
  return { candidate: c.candidate, sdpMid: c.sdp_mid ?? null, sdpMLineIndex: c.sdp_mline_index ?? null };
}

/** The relay's SessionDescription from an RTCSessionDescription. */
export function descriptionToWire(d) {
  return { type: d.type, sdp: d.sdp };
}
