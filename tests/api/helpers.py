"""Texts the default model must get right, and a check of the error format."""

from __future__ import annotations

from typing import Any

SPAM = (
    "WINNER!! You have been selected to receive a £900 prize reward! To claim call "
    "09061701461. Claim code KL341. Valid 12 hours only."
)
SPAM_2 = "FREE entry in 2 a weekly comp to win FA Cup final tkts. Text FA to 87121 to receive entry"
HAM = "Sorry, I'll call you later, I'm in a meeting right now."
HAM_2 = "Are we still meeting for lunch tomorrow? Let me know when you leave home."


def error_of(response: Any) -> dict[str, Any]:
    """The ``error`` object of a JSON error response, after checking its shape."""
    assert response.is_json, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body["error"]  # type: ignore[no-any-return]
