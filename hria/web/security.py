"""Security headers on every response, error pages and downloads included."""

from __future__ import annotations

from flask import Flask, Response, request

# Pages load only this site's own script, styles and images: an injected inline script or
# style does not run. The pages never need to be framed, so no one may frame them.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def register(app: Flask) -> None:
    app.after_request(add_headers)


def add_headers(response: Response) -> Response:
    response.headers.update(HEADERS)
    if request.endpoint != "static":
        # Pages and downloads may hold what only the signed-in user may see: no browser or
        # proxy keeps a copy that the next person at the computer could open from the history.
        response.headers["Cache-Control"] = "no-store"
        response.headers.pop("Expires", None)
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = "max-age=31536000"
    return response
