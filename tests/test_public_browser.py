"""The public transparency page and the grievance form in Chromium, as an anonymous visitor on a phone."""

import re

import pytest
from browser import chromium_page, live_server

from hria.domain import demo
from hria.domain.models import Grievance
from hria.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture
def seeded(app):
    with app.app_context():
        demo.seed(app.instance_path)
    return app


def test_an_anonymous_visitor_reads_the_page_and_sends_a_grievance(seeded, tmp_path):
    with live_server(seeded) as base, chromium_page() as page:
        page.set_viewport_size({"width": 375, "height": 740})
        page.goto(f"{base}/public/")
        page.get_by_role("link", name="Welfare fraud risk score").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Welfare fraud risk score"
        for heading in ("Rights at risk and how the risks are treated", "The latest signed report"):
            assert page.get_by_role("heading", name=heading).is_visible()
        assert "Verified:" in page.locator("main").inner_text()
        # readable on a phone: nothing wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the signed PDF").click()
        assert download.value.suggested_filename.endswith(".pdf")
        page.screenshot(path=str(tmp_path / "public-page.png"), full_page=True)

        page.get_by_label("What happened").fill("The letter stopping my benefit gave no reason.")
        page.get_by_label("When did it happen?").fill("last week")
        page.get_by_role("button", name="Send").click()
        page.wait_for_url("**/received**")
        reference = page.locator(".reference").inner_text().strip()
        assert re.fullmatch(r"G-\d{4}-[A-Z2-9]{6}", reference)

        page.get_by_role("link", name=re.compile("Back to the system")).click()
        page.get_by_role("link", name="中文").click()
        assert page.get_by_role("heading", name="如何提出异议或关切").is_visible()
    with seeded.app_context():
        stored = db.session.query(Grievance).filter_by(reference=reference).one()
        assert stored.what_happened == "The letter stopping my benefit gave no reason."
