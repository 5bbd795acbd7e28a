"""Response headers every page carries, and the cache rule for pages holding personal data."""

from __future__ import annotations

from flask import Flask, Response, request

# No inline script or style anywhere, nothing from another host, no plugins, no <base> tricks,
# forms post only here, and no framing (clickjacking). GOV.UK Frontend's JavaScript is served
# from /assets as an ES module, so 'self' covers it.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)

# Paths whose pages show or collect personal data: never kept by the browser or a proxy, so the
# back button on a shared computer cannot bring a family's details back. A feedback page's
# address is its single-use link, and its comment may be personal: neither is left in a cache.
NO_STORE_PREFIXES = ("/refer/", "/requests/", "/staff/", "/feedback/")


def apply_security_headers(response: Response, production: bool) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    # Other sites learn nothing of where a visitor came from; this site's own pages still send a
    # Referer, which Flask-WTF's CSRF check demands of every HTTPS form post.
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    if production:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if request.path.startswith(NO_STORE_PREFIXES):
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def init_security(app: Flask) -> None:
    production = app.config["PORTAL_ENV"] == "production"
    app.after_request(lambda response: apply_security_headers(response, production))
