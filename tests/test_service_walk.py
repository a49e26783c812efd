"""A new procurement officer, in a real browser, from an empty system to a submitted assessment: the task
list, the error summary, evidence attached without losing typed answers, check-your-answers, and no way to
submit or sign incomplete work."""

import os
from pathlib import Path

import pytest
from browser import chromium_page, live_server, sign_in
from conftest import PASSWORD, answer_everything

from hria.domain.models import Assessment
from hria.extensions import db

pytestmark = pytest.mark.browser
# Screenshots for a person to look at: in HRIA_SCREENS when it is set, else in the test's own folder.
SCREENS = os.environ.get("HRIA_SCREENS")


def test_a_new_procurer_reaches_a_submitted_assessment(app, world, tmp_path):
    screens = Path(SCREENS) if SCREENS else tmp_path
    evidence = tmp_path / "consultation-notes.pdf"
    evidence.write_bytes(b"%PDF-1.4 notes of the consultation\n%%EOF\n")
    with live_server(app) as base, chromium_page() as page:
        page.set_viewport_size({"width": 1280, "height": 900})
        sign_in(page, base, world.users["procurer_a"], PASSWORD)
        page.get_by_role("link", name="Register a system").click()
        page.get_by_label("Name").fill("Street lighting control")
        page.get_by_label("Purpose").fill("Dims street lights by predicted footfall.")
        page.get_by_label("Urban sector").select_option(index=1)
        page.get_by_role("button", name="Register system").click()
        page.get_by_role("button", name="Start assessment").click()
        page.wait_for_url(f"{base}/assessments/*")
        assessment_id = int(page.url.rsplit("/", 1)[1])

        # the task list: nothing started; only a draft can be issued; submitting goes through checking
        statuses = page.locator(".task-status").all_inner_texts()
        assert statuses == ["Not started"] * 4  # purpose, people, basis, severity
        assert (
            page.get_by_role("button", name="Issue a draft risk and remediation report (incomplete)").count()
            == 1
        )
        assert page.get_by_role("button", name="Submit for review").count() == 0

        # typed answers survive attaching a file in the same section
        page.get_by_role("link", name="Purpose and appropriateness").click()
        page.locator("#SCO-01").fill("Dimming saves energy; people walking late must still be seen.")
        page.locator("#SCO-02-0").check()
        page.locator("#file-SCO-02").set_input_files(str(evidence))
        page.get_by_role("button", name="Attach to SCO-02").click()
        page.wait_for_load_state()
        assert "Attached consultation-notes.pdf" in page.locator(".flashes").inner_text()
        assert page.locator("#SCO-01").input_value().startswith("Dimming saves energy")
        assert page.locator("#SCO-02-0").is_checked()

        # the error summary links to the field in error
        page.get_by_role("link", name="Affected people and rights").click()
        page.locator("#SCO-06").fill("-5")
        page.get_by_role("button", name="Save", exact=True).click()
        summary = page.locator(".error-summary")
        assert summary.get_by_role("heading").inner_text() == "There is a problem"
        summary.get_by_role("link").first.click()
        assert page.evaluate("document.activeElement.id") == "SCO-06"
        assert page.locator("#SCO-06").get_attribute("aria-describedby") == "SCO-06-error"

        # check your answers lists what is open; there is no submit until everything is answered
        page.goto(f"{base}/assessments/{assessment_id}")
        assert page.locator(".task-status").first.inner_text() == "In progress"
        page.get_by_role("link", name="Check your answers and submit").click()
        assert "still to answer" in page.locator("main").inner_text()
        assert page.get_by_role("button", name="Submit for review").count() == 0
        page.locator("ul.missing a").first.click()
        page.wait_for_url(f"{base}/assessments/{assessment_id}/sections/*#q-*")

        with app.app_context():  # the rest of the answers, as the officer would give them section by section
            answer_everything(assessment_id)
        page.goto(f"{base}/assessments/{assessment_id}")
        assert set(page.locator(".task-status").all_inner_texts()) == {"Completed"}
        screens.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screens / "assessment-page-1280.png"), full_page=True)
        page.goto(f"{base}/assessments/{assessment_id}/risks")
        page.screenshot(path=str(screens / "risk-register-1280.png"), full_page=True)

        page.goto(f"{base}/assessments/{assessment_id}/check")
        page.get_by_role("button", name="Submit for review").click()
        page.wait_for_url(f"{base}/assessments/{assessment_id}")
        assert "The assessment is now submitted." in page.locator(".flashes").inner_text()
    with app.app_context():
        assert db.session.get(Assessment, assessment_id).status == "submitted"


def test_a_failing_form_has_an_error_summary_linked_to_its_fields(app, client, world, auth):
    from conftest import form_fields

    auth.login(world.users["procurer_a"])
    fields = form_fields(client.get("/systems/new").get_data(as_text=True))
    response = client.post("/systems/new", data={**fields, "name": "", "sector": "welfare"})
    body = response.get_data(as_text=True)
    assert "There is a problem" in body
    assert '<a href="#name">' in body
    assert 'aria-describedby="name-error"' in body and 'id="name-error"' in body


def test_smaller_things(app, client, world, auth, make_assessment):
    assert client.get("/favicon.ico").status_code == 204
    auth.login(world.users["admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert '<option value="">— choose a role —</option><option value="admin">' in page  # first, so shown
    auth.logout()
    auth.login(world.users["procurer_a"])
    chinese = make_assessment("a", language="zh")
    for page in ("", "/risks", "/remediation"):
        assert '<html lang="zh">' in client.get(f"/assessments/{chinese}{page}").get_data(as_text=True), page
