"""The public transparency page: a buyer publishes a system; anyone reads its page, its signed report and
the index without signing in; nothing unpublished, no evidence file and no person's address is reachable."""

from __future__ import annotations

import hashlib
import json
import re

from conftest import csrf_token

from hria.domain import reporting
from hria.domain.models import Assessment, Event, RiskRating, System, User
from hria.domain.vocabulary import ReportKind
from hria.extensions import db

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


def _publish(client, auth, world, key="a", email="procurer@a.example"):
    auth.login(email)
    page = client.get(f"/systems/{world.systems[key]}").get_data(as_text=True)
    response = client.post(f"/systems/{world.systems[key]}/publish", data={"csrf_token": csrf_token(page)})
    auth.logout()
    return response


def _rate_and_report(app, world, key="a"):
    """A rated right with a treatment, and a signed risk report, on the system's assessment."""
    with app.app_context():
        assessment = db.session.get(Assessment, world.assessments[key])
        db.session.add(
            RiskRating(
                assessment_id=assessment.id,
                right="equality",
                scale=3,
                scope=3,
                reversibility=2,
                likelihood=3,
                treatment="Every flag is checked by a caseworker.",
            )
        )
        report = reporting.issue(assessment, ReportKind.RISK, None)
        db.session.commit()
        return report.sha256, reporting.pdf_of(report)


def test_a_buyer_publishes_and_unpublishes_and_each_is_in_the_trail(app, client, auth, keyed):
    world = keyed
    system_id = world.systems["a"]
    assert client.get(f"/public/systems/{system_id}").status_code == 404

    assert _publish(client, auth, world).status_code == 302
    assert client.get(f"/public/systems/{system_id}").status_code == 200

    auth.login("procurer@a.example")
    page = client.get(f"/systems/{system_id}").get_data(as_text=True)
    assert "public transparency page" in page
    client.post(f"/systems/{system_id}/unpublish", data={"csrf_token": csrf_token(page)})
    assert client.get(f"/public/systems/{system_id}").status_code == 404
    with app.app_context():
        actions = [
            e.action
            for e in db.session.query(Event)
            .filter_by(object_type="ai_system", object_id=system_id)
            .order_by(Event.seq)
            if e.action in ("publish", "unpublish")
        ]
        assert actions == ["publish", "unpublish"]


def test_only_the_owning_buyer_may_publish(client, auth, keyed):
    world = keyed
    system_id = world.systems["a"]
    for email in ("procurer@b.example", "vendor@va.example", "oversight@ba.example"):
        auth.login(email)
        page = client.get("/").get_data(as_text=True)
        response = client.post(f"/systems/{system_id}/publish", data={"csrf_token": csrf_token(page)})
        assert response.status_code in (403, 404), email
        auth.logout()
    assert client.get(f"/public/systems/{system_id}").status_code == 404


def test_publishing_needs_the_csrf_token(client, auth, keyed):
    auth.login("procurer@a.example")
    assert client.post(f"/systems/{keyed.systems['a']}/publish").status_code == 400
    auth.logout()
    assert client.get(f"/public/systems/{keyed.systems['a']}").status_code == 404


def test_the_public_page_shows_rights_treatment_report_and_its_verification(app, client, auth, keyed):
    world = keyed
    sha, pdf = _rate_and_report(app, world)
    _publish(client, auth, world)
    html = client.get(f"/public/systems/{world.systems['a']}").get_data(as_text=True)
    assert "Benefit scoring A" in html and "Scores applications" in html
    assert "City A" in html  # the deciding body
    assert "Equality and non-discrimination" in html
    assert "Every flag is checked by a caseworker." in html
    assert sha in html
    assert "Verified:" in html
    assert 'name="viewport"' in html
    download = client.get(f"/public/systems/{world.systems['a']}/report.pdf")
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert hashlib.sha256(download.data).hexdigest() == sha == hashlib.sha256(pdf).hexdigest()


def test_the_page_speaks_the_assessment_language(app, client, auth, keyed):
    world = keyed
    with app.app_context():
        db.session.get(Assessment, world.assessments["a"]).language = "zh"
        db.session.commit()
    _publish(client, auth, world)
    html = client.get(f"/public/systems/{world.systems['a']}").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in html
    assert "如何提出异议或关切" in html and "福利" in html
    english = client.get(f"/public/systems/{world.systems['a']}?lang=en").get_data(as_text=True)
    assert "How to object or raise a concern" in english


def test_index_lists_every_published_system_with_its_report_sha256(app, client, auth, keyed):
    world = keyed
    sha, _ = _rate_and_report(app, world)
    _publish(client, auth, world)
    index = client.get("/public/index.json")
    assert index.status_code == 200 and index.mimetype == "application/json"
    body = json.loads(index.data)
    assert [s["id"] for s in body["systems"]] == [world.systems["a"]]
    entry = body["systems"][0]
    assert entry["report"]["sha256"] == sha
    assert entry["deciding_body"] == "City A"
    assert entry["page"].endswith(f"/public/systems/{world.systems['a']}")
    download = client.get(entry["report"]["download"].replace("http://localhost", ""))
    assert hashlib.sha256(download.data).hexdigest() == sha


def _public_urls(system_id: int) -> list[str]:
    base = f"/public/systems/{system_id}"
    return [base, f"{base}/report.pdf", f"{base}/received", f"{base}/report.pdf?lang=zh"]


def test_every_public_url_of_an_unpublished_system_is_404(app, client, auth, keyed):
    world = keyed
    _rate_and_report(app, world, "b")  # a report exists, but system b is not published
    _publish(client, auth, world)  # system a is
    for url in _public_urls(world.systems["b"]) + _public_urls(999_999):
        assert client.get(url).status_code == 404, url
    token = csrf_token(client.get(f"/public/systems/{world.systems['a']}").get_data(as_text=True))
    grievance = {"csrf_token": token, "what_happened": "x"}
    assert client.post(f"/public/systems/{world.systems['b']}/grievances", data=grievance).status_code == 404
    index = json.loads(client.get("/public/index.json").data)
    assert world.systems["b"] not in [s["id"] for s in index["systems"]]
    assert "Benefit scoring B" not in client.get("/public/").get_data(as_text=True)


def test_public_pages_hold_no_email_and_link_to_no_evidence_or_private_page(app, client, auth, keyed):
    world = keyed
    _rate_and_report(app, world)
    _publish(client, auth, world)
    with app.app_context():
        emails = {email for (email,) in db.session.query(User.email)}
        db.session.get(System, world.systems["a"]).purpose = "Scores applications. Questions: ask the city."
        db.session.commit()
    seen, queue = set(), ["/public/", "/public/index.json", f"/public/systems/{world.systems['a']}"]
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        assert response.status_code == 200, url
        if response.mimetype == "application/pdf":
            continue
        text = response.get_data(as_text=True)
        assert not (set(EMAIL.findall(text)) & emails), url
        assert "/evidence" not in text and "outputs-a.csv" not in text, url
        links = re.findall(r'href="([^"]+)"', text) + re.findall(r'"(http://localhost/[^"]+)"', text)
        for link in links:
            link = link.replace("http://localhost", "").replace("&amp;", "&")
            if link.startswith("?"):
                link = url.split("?")[0] + link
            if link.startswith(("/static/", "#")):
                continue
            assert link.startswith("/public/"), f"{url} links to {link}"
            queue.append(link)
    assert f"/public/systems/{world.systems['a']}/report.pdf" in seen
