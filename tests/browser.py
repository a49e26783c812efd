"""Helpers for browser tests: a live server and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("HRIA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip when there is no browser here; in CI a missing browser is a failure."""
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return
    message = f"Chromium not found at {CHROMIUM} (install Debian's chromium package)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@contextmanager
def live_server(app):
    import waitress

    server = waitress.create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=5)


@contextmanager
def chromium_page():
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
        finally:
            browser.close()


def sign_in(page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")


# axe-core comes from the npm registry, pinned in .ci/run; no CDN, so the tests run offline.
AXE_JS = os.environ.get(
    "HRIA_AXE_JS",
    os.path.join(
        os.path.dirname(__file__), os.pardir, ".ci", "node", "node_modules", "axe-core", "axe.min.js"
    ),
)
# The success criteria of WCAG 2.0 and 2.1, levels A and AA.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = ("critical", "serious")


def require_axe() -> str:
    """The path of axe.min.js; skip when it is not installed here, fail in CI."""
    if os.path.isfile(AXE_JS):
        return AXE_JS
    message = f"axe-core not found at {AXE_JS} (npm install --no-save --prefix .ci/node axe-core@4.14.1)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def axe_violations(page) -> list[dict]:
    """Run axe on the page as it is now and return its violations of WCAG 2.0/2.1 A and AA.

    The script goes in through page.evaluate, which the page's Content-Security-Policy does not
    govern: the app's policy stays exactly as it is served.
    """
    with open(require_axe(), encoding="utf-8") as handle:
        source = handle.read()
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(source)
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
        AXE_TAGS,
    )
    return result["violations"]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -- {targets}")
    return "\n".join(lines)


def blocking_violations(page) -> list[dict]:
    """The critical and serious violations on the page: the ones a test fails on."""
    return [v for v in axe_violations(page) if v["impact"] in BLOCKING_IMPACTS]


def assert_accessible(page, label: str = "") -> None:
    """Fail on any critical or serious violation, naming rule, impact, elements and help for each."""
    blocking = blocking_violations(page)
    where = label or page.url
    assert not blocking, f"axe found on {where}:\n{describe_violations(blocking)}"
