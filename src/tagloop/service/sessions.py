"""Web sessions that the server can end: sign out (this browser), sign out everywhere,
and every session of a user whose password changes or who is disabled or deleted.

The session cookie (signed by Flask) carries a random secret; the database keeps its
SHA-256 and its user. A request's session is valid only while its row exists and has not
expired, so a copied cookie stops working the moment its session ends.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tagloop.store import Store
from tagloop.store.models import WebSession, utcnow


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def start(store: Store, user_id: int, hours: float) -> str:
    """A new session for ``user_id``; returns the secret for the cookie (shown only there).
    The user's expired sessions are swept at the same time."""
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    with store.transaction() as session:
        session.execute(
            delete(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at <= now)
        )
        session.add(
            WebSession(
                secret_sha256=_hash(secret),
                user_id=user_id,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
    return secret


def user_of(store: Store, secret: str) -> int | None:
    """The user a live session belongs to; None when it was ended or has expired."""
    if not secret:
        return None
    with store.session() as session:
        row = session.scalar(select(WebSession).where(WebSession.secret_sha256 == _hash(secret)))
        if row is None or row.expires_at <= utcnow():
            return None
        return row.user_id


def end(store: Store, secret: str) -> None:
    """End one session (signing out of this browser)."""
    if secret:
        with store.transaction() as session:
            session.execute(delete(WebSession).where(WebSession.secret_sha256 == _hash(secret)))


def end_all(store: Store, user_id: int) -> int:
    """End every session of a user (signing out everywhere); returns how many there were."""
    with store.transaction() as session:
        return end_all_in(session, user_id)


def end_all_in(session: Session, user_id: int) -> int:
    """``end_all`` inside a caller's transaction (a new password, a disabled account)."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
