"""Invite tokens: signed, expiring, bound to a session and a role."""

from __future__ import annotations

import time

import pytest

from overshoulder.core.errors import ProtocolError
from overshoulder.relay.tokens import TokenSigner

SIGNER = TokenSigner(b"k" * 32)


def test_a_token_carries_session_role_name_and_expiry():
    token = SIGNER.issue("abc", "reviewer", 3600, name="Sam")
    claims = SIGNER.verify(token)
    assert (claims.session, claims.role, claims.name) == ("abc", "reviewer", "Sam")
    assert time.time() + 3590 < claims.expires <= time.time() + 3600


def test_each_tampered_part_is_refused():
    token = SIGNER.issue("abc", "viewer", 3600)
    head, body, sig = token.split(".")
    for bad in (
        f"{head}.{body}x.{sig}",
        f"{head}.{body}.{sig[:-2]}AA",
        f"os2.{body}.{sig}",
        token[:-1],
    ):
        with pytest.raises(ProtocolError) as exc:
            SIGNER.verify(bad)
        assert exc.value.code == "unauthorized"


def test_expiry_is_reported_with_how_long_ago():
    token = SIGNER.issue("abc", "viewer", 60, now=time.time() - 7200)
    with pytest.raises(ProtocolError) as exc:
        SIGNER.verify(token)
    assert exc.value.code == "token_expired" and "1h" in exc.value.message


def test_media_tickets_and_invites_are_not_interchangeable():
    ticket = SIGNER.issue("abc", "host", 60, kind="media", participant="p1")
    assert SIGNER.verify(ticket, kind="media").participant == "p1"
    with pytest.raises(ProtocolError):
        SIGNER.verify(ticket)
    with pytest.raises(ProtocolError):
        SIGNER.verify(SIGNER.issue("abc", "host", 60), kind="media")


def test_unknown_roles_and_short_secrets_are_programming_errors():
    with pytest.raises(ValueError):
        SIGNER.issue("abc", "admin", 60)
    with pytest.raises(ValueError):
        TokenSigner(b"short")
