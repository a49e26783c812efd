"""Every response carries the security headers: public and signed-in pages, downloads, error pages."""

from pathlib import Path

import pytest
from browser import chromium_page, live_server, sign_in

from hria.domain import demo

ALWAYS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def assert_protected(response, cacheable: bool = False) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, name
    policy = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy
    if cacheable:
        assert "no-store" not in response.headers.get("Cache-Control", "")
    else:
        assert response.headers["Cache-Control"] == "no-store"


def test_public_page(client):
    response = client.get("/login")
    assert response.status_code == 200
    assert_protected(response)


def test_signed_in_page(client, world, auth):
    auth.login(world.users["procurer_a"])
    response = client.get(f"/systems/{world.systems['a']}")
    assert response.status_code == 200
    assert_protected(response)


def test_download(app, client, world, auth):
    stored = Path(app.config["UPLOAD_FOLDER"]) / "aa" / ("a" * 64)
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_text("applicant,decision\n1,0\n")
    auth.login(world.users["procurer_a"])
    response = client.get(f"/evidence/{world.evidence['a']}/download")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.get_data(as_text=True) == "applicant,decision\n1,0\n"
    assert_protected(response)


def test_error_pages(app, client, world, auth):
    app.add_url_rule("/broken", "broken", lambda: 1 / 0)
    assert_protected(client.get("/no/such/page"))
    assert client.get("/no/such/page").status_code == 404
    refused = client.post("/login", data={"email": "x@y.example", "password": "whatever"})  # no CSRF token
    assert refused.status_code == 400
    assert_protected(refused)
    auth.login(world.users["procurer_a"])
    failed = client.get("/broken")
    assert failed.status_code == 500
    assert_protected(failed)


def test_static_files_keep_their_caching_but_not_their_framing(client):
    response = client.get("/static/hria.js")
    assert response.status_code == 200
    assert_protected(response, cacheable=True)


def test_strict_transport_security_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    assert (
        client.get("/login", base_url="https://hria.example").headers["Strict-Transport-Security"]
        == "max-age=31536000"
    )


def test_templates_hold_no_inline_script_or_style():
    """What the policy would block: inline scripts, event-handler attributes, style attributes and blocks."""
    import re

    templates = Path(__file__).resolve().parent.parent / "templates"
    pattern = re.compile(r"<script(?![^>]*\bsrc=)|\son[a-z]+\s*=|\sstyle\s*=|<style|javascript:", re.I)
    offenders = [
        f"{path.relative_to(templates)}: {match.group(0)}"
        for path in templates.rglob("*.html")
        for match in pattern.finditer(path.read_text())
    ]
    assert offenders == []


@pytest.mark.browser
def test_pages_work_under_the_policy_in_a_browser(app):
    """Chromium reports no policy violation while a user signs in, browses and saves answers."""
    with app.app_context():
        logins = {login.email: login.password for login in demo.seed(app.instance_path)}
    with live_server(app) as base, chromium_page() as page:
        violations, scripts = [], []
        page.on(
            "console",
            lambda message: (
                violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.on(
            "response",
            lambda response: (
                scripts.append(response.status) if response.url.endswith("/static/hria.js") else None
            ),
        )
        sign_in(page, base, "procurer@riverton.example", logins["procurer@riverton.example"])
        page.get_by_role("link", name="Traffic camera analytics").click()
        page.get_by_label("Lifecycle stage").select_option(label="Scoping")
        page.get_by_label("Language of the questions and the report").select_option(label="English")
        page.get_by_role("button", name="Start assessment").click()
        page.wait_for_url(f"{base}/assessments/*")
        page.get_by_role("link", name="Purpose and appropriateness").click()
        page.get_by_label("SCO-01 · What public problem").fill("Prioritise fraud investigations")
        page.get_by_role("button", name="Save and continue").click()
        page.wait_for_url("**/sections/people")
        assert "Saved 1 answer." in page.locator(".flashes").inner_text()
        assert violations == []
        assert scripts and set(scripts) <= {200, 304}

        # The policy is enforced: a script injected into the page does not run, and Chromium says so.
        ran = page.evaluate("""() => {
            const s = document.createElement('script');
            s.textContent = 'window.injected = true';
            document.body.appendChild(s);
            return window.injected === true;
        }""")
        assert ran is False
        page.wait_for_timeout(200)
        assert len(violations) == 1 and "inline script" in violations[0] and "blocked" in violations[0]
