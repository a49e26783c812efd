"""The foundation in a real browser: Chromium driven by Playwright against a live server."""

import pytest
from browser import chromium_page, live_server, sign_in, sign_out

from hria.domain import demo

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_logins(app):
    with app.app_context():
        return {login.email: login.password for login in demo.seed(app.instance_path)}


def welfare_scoping(page) -> None:
    """Open the welfare system's scoping assessment from the dashboard (the street sensors have one too)."""
    page.locator("tr", has_text="Welfare fraud risk score").get_by_role("link", name="Scoping").click()


def test_procurer_registers_a_system_that_vendors_do_not_see(app, demo_logins, tmp_path):
    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, "procurer@riverton.example", demo_logins["procurer@riverton.example"])
        assert page.get_by_role("link", name="Welfare fraud risk score").is_visible()

        page.get_by_role("link", name="Register a system").click()
        page.get_by_label("Name").fill("Flood early-warning model")
        page.get_by_label("Purpose").fill("Predicts street flooding from rainfall radar to dispatch crews.")
        page.get_by_label("Vendor").select_option(label="UrbanSight Systems")
        page.get_by_label("Urban sector").select_option(label="Disaster prevention and management")
        page.get_by_role("button", name="Register system").click()
        page.wait_for_url(f"{base}/systems/*")
        assert page.get_by_role("heading", level=1).inner_text() == "Flood early-warning model"

        page.get_by_role("link", name="Dashboard").click()
        row = page.get_by_role("row").filter(has_text="Flood early-warning model")
        assert "Disaster prevention and management" in row.inner_text()
        page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
        sign_out(page)

        sign_in(page, base, "vendor@urbansight.example", demo_logins["vendor@urbansight.example"])
        body = page.locator("main").inner_text()
        assert "Flood early-warning model" not in body
        assert "Welfare fraud risk score" not in body
        sign_out(page)

        sign_in(page, base, "vendor@civic-analytics.example", demo_logins["vendor@civic-analytics.example"])
        body = page.locator("main").inner_text()
        assert "Welfare fraud risk score" in body
        assert "Flood early-warning model" not in body


def test_skip_link_and_keyboard_focus(app, demo_logins):
    with live_server(app) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent")
        assert focused.strip() == "Skip to content"
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"


def test_fairness_audit_from_upload_to_results(app, demo_logins, tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(2)
    n = 1500
    race = rng.choice(["Black", "White"], n)
    y = rng.integers(0, 2, n)
    flagged = np.where(y == 1, rng.random(n) < 0.7, rng.random(n) < np.where(race == "Black", 0.45, 0.2))
    path = tmp_path / "welfare-outputs.csv"
    pd.DataFrame({"fraud_found": y, "decision": flagged.astype(int), "race": race}).to_csv(path, index=False)

    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, "procurer@riverton.example", demo_logins["procurer@riverton.example"])
        welfare_scoping(page)
        page.set_input_files("input[type=file]", str(path))
        page.get_by_role("button", name="Upload").click()
        page.get_by_label("Observed outcome").select_option("fraud_found")
        page.get_by_label("Model decision").select_option("decision")
        assert page.get_by_label("race").is_checked()  # guessed
        page.get_by_role("button", name="Run the audit").click()
        page.wait_for_selector("text=What the audit found", timeout=30_000)
        assert "Race Black: false positive rate" in page.locator(".findings").inner_text()
        assert page.locator("figure.chart svg").count() >= 4


def test_procurer_answers_a_section_and_sees_the_level(app, demo_logins):
    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, "procurer@riverton.example", demo_logins["procurer@riverton.example"])
        # a system without an earlier scoping stage, so nothing is carried over
        page.get_by_role("link", name="Traffic camera analytics").click()
        page.get_by_label("Lifecycle stage").select_option(label="Scoping")
        page.get_by_label("Language of the questions and the report").select_option(label="English")
        page.get_by_role("button", name="Start assessment").click()
        page.wait_for_url(f"{base}/assessments/*")
        page.get_by_role("link", name="Purpose and appropriateness").click()
        page.get_by_label("SCO-01 · What public problem").fill("Prioritise fraud investigations")
        page.locator("#q-SCO-02").get_by_label("Yes").check()
        page.get_by_label("It decides who is examined or served first").check()
        page.locator("#q-SCO-04").get_by_label("Yes").check()
        page.locator("#q-SCO-05").get_by_label("No", exact=True).check()
        page.get_by_role("button", name="Save and continue").click()
        page.wait_for_url("**/sections/people")
        assert "Saved 5 answers." in page.locator(".flashes").inner_text()
        page.get_by_role("link", name="Traffic camera analytics · Scoping").click()
        assert page.locator(".impact").is_visible()
        # raw 3 + 4 = 7 of 41 points so far (a transport system is asked SCO-27 too), but 16 impact
        # questions are still open: no level from that
        assert page.locator(".impact h3").inner_text() == "Impact level: not yet scored"
        impact = page.locator(".impact").inner_text()
        assert "7 of 41 points" in impact and "16 impact questions open (SCO-06, SCO-07," in impact


def test_issue_countersign_and_verify_a_report(app, demo_logins, tmp_path):
    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, "procurer@riverton.example", demo_logins["procurer@riverton.example"])
        welfare_scoping(page)
        page.get_by_role("button", name="Issue a signed risk and remediation report").click()
        assert "Issued and signed HRIA-" in page.locator(".flashes").inner_text()
        sign_out(page)

        sign_in(
            page, base, "oversight@oversight-board.example", demo_logins["oversight@oversight-board.example"]
        )
        welfare_scoping(page)
        page.get_by_role("button", name="Countersign for Riverton Algorithmic Oversight Board").click()
        assert "Countersigned HRIA-" in page.locator(".flashes").inner_text()
        row = page.locator("#reports tbody tr").first
        assert (
            "City of Riverton Procurement Office (issuing organisation), Riverton Algorithmic Oversight "
            "Board "
            "(oversight body)"
        ) in row.inner_text()
        with page.expect_download() as download:
            row.get_by_role("link").click()
        pdf = tmp_path / "countersigned.pdf"
        download.value.save_as(pdf)
        sign_out(page)

        page.goto(f"{base}/verify")
        page.set_input_files("input[type=file]", str(pdf))
        page.get_by_role("button", name="Verify").click()
        verdict = page.locator("#verdict").inner_text()
        assert verdict.startswith("Verified: every signature is intact and trusted")
        assert page.locator("#verdict ~ table tbody tr").count() == 2


def test_review_walked_in_the_browser(app, demo_logins):
    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, "procurer@riverton.example", demo_logins["procurer@riverton.example"])
        welfare_scoping(page)
        page.get_by_role("link", name="Check your answers and submit").click()
        page.get_by_role("button", name="Submit for review").click()
        assert "The assessment is now submitted." in page.locator(".flashes").inner_text()
        sign_out(page)

        sign_in(
            page, base, "oversight@oversight-board.example", demo_logins["oversight@oversight-board.example"]
        )
        welfare_scoping(page)
        page.get_by_role("button", name="Start the review").click()
        page.locator("#comment-approve_with_conditions").fill("Quarterly audits of the flags by nationality.")
        page.get_by_role("button", name="Approve with conditions").click()
        assert "The assessment is now approved with conditions." in page.locator(".flashes").inner_text()
        assert "Approved with conditions" in page.locator(".facts").first.inner_text()
        sign_out(page)

        sign_in(page, base, "procurer@riverton.example", demo_logins["procurer@riverton.example"])
        welfare_scoping(page)
        page.get_by_role("link", name="Purpose and appropriateness").click()
        assert page.get_by_role("button", name="Save and continue").count() == 0  # read-only once approved
