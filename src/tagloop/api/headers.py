"""Security headers on every response: the API's JSON, the web app's pages and files, the
API docs and every error.

The policy allows only this server's own scripts, styles, images and API: the built web
app and the docs page load everything from files (no inline script), so an injected
``<script>`` or event handler does not run, and no other site may frame a page.
"""

from __future__ import annotations

from flask import Flask, Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


_LOWER = [(name.lower(), name, value) for name, value in HEADERS.items()]


def init_app(app: Flask) -> None:
    @app.after_request
    def secure(response: Response) -> Response:
        # Each header unless the view set its own; one pass over the response's headers
        # instead of a lookup (and a KeyError) per missing one, as ``setdefault`` costs.
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        for lower, name, value in _LOWER:
            if lower not in present:
                headers.add(name, value)
        return response
