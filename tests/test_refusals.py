"""Every refusal is a page of its own (or a message on the page the user came from) with the reason and the
way forward: never a redirect carrying a 4xx status, which browsers show as a bare "Redirecting…" page."""

import pytest
from browser import chromium_page, live_server, sign_in
from conftest import PASSWORD, form_fields

from hria.domain.models import RiskRating
from hria.extensions import db


def _very_high_risk(app, assessment_id: int) -> None:
    with app.app_context():
        db.session.add(
            RiskRating(
                assessment_id=assessment_id,
                right="equality",
                scale=4,
                scope=4,
                reversibility=4,
                likelihood=3,
                treatment="",
            )
        )
        db.session.commit()


def _assert_refusal_page(response, code: int, *texts: str) -> None:
    assert response.status_code == code
    assert "Location" not in response.headers
    body = response.get_data(as_text=True)
    assert "<h1>" in body and "Back to" in body
    for text in texts:
        assert text in body


def test_blocked_operation_is_a_page_with_the_reason(app, client, world, auth):
    _very_high_risk(app, world.assessments["a"])
    auth.login(world.users["procurer_a"])
    url = f"/systems/{world.systems['a']}"
    token = form_fields(client.get(url).get_data(as_text=True))["csrf_token"]
    response = client.post(f"{url}/operation", data={"csrf_token": token})
    _assert_refusal_page(
        response, 409, "very-high risks to equality have no accepted treatment", "Back to Benefit scoring A"
    )


def test_a_step_the_role_does_not_allow_is_a_page_with_the_reason(app, client, world, auth):
    auth.login(world.users["oversight_a"])
    url = f"/assessments/{world.assessments['a']}"
    token = form_fields(client.get(url).get_data(as_text=True))["csrf_token"]
    response = client.post(f"{url}/transitions/submit", data={"csrf_token": token})
    _assert_refusal_page(response, 403, "Only the buying organisation", "Back to the assessment")


def test_a_forbidden_action_offers_the_way_back(app, client, world, auth):
    auth.login(world.users["vendor_a"])
    url = f"/systems/{world.systems['a']}"
    response = client.get(f"{url}/edit", headers={"Referer": f"http://localhost{url}"})
    _assert_refusal_page(response, 403, "Your role does not allow this action", f'href="{url}"')


def test_the_way_back_never_leads_to_another_site(app, client, world, auth):
    auth.login(world.users["vendor_a"])
    response = client.get(
        f"/systems/{world.systems['a']}/edit", headers={"Referer": "https://evil.example/phish"}
    )
    assert response.status_code == 403
    assert "evil.example" not in response.get_data(as_text=True)


def test_a_stale_edit_is_shown_on_its_own_form(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    url = f"/systems/{world.systems['a']}/edit"
    fields = form_fields(client.get(url).get_data(as_text=True))
    fields.update(
        {
            "name": "Renamed",
            "purpose": "x",
            "owner_id": str(world.orgs["city_a"]),
            "vendor_id": str(world.orgs["vendor_a"]),
            "sector": "welfare",
            "loaded_version": "2000-01-01T00:00:00",
        }
    )
    response = client.post(url, data=fields)
    assert response.status_code == 409
    assert "Location" not in response.headers
    assert "Someone else changed this system while you were editing it." in response.get_data(as_text=True)


def test_no_refusal_answers_with_a_redirect(app, client, world, auth):
    """Every route a refused user can reach answers 4xx with a body, or 3xx to a page with a message."""
    _very_high_risk(app, world.assessments["a"])
    auth.login(world.users["vendor_a"])
    posts = [
        f"/systems/{world.systems['a']}/operation",
        f"/assessments/{world.assessments['a']}/transitions/submit",
        f"/assessments/{world.assessments['a']}/transitions/approve",
        f"/assessments/{world.assessments['a']}/export.json",
        f"/assessments/{world.assessments['a']}/invitations",
    ]
    token = form_fields(client.get(f"/assessments/{world.assessments['a']}").get_data(as_text=True))[
        "csrf_token"
    ]
    for url in posts:
        response = client.post(url, data={"csrf_token": token})
        assert response.status_code in (403, 404), url
        assert "Location" not in response.headers, url
        assert "<h1>" in response.get_data(as_text=True), url


@pytest.mark.browser
def test_blocked_operation_shows_its_reason_in_the_browser(app, world):
    _very_high_risk(app, world.assessments["a"])
    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, world.users["procurer_a"], PASSWORD)
        page.goto(f"{base}/systems/{world.systems['a']}")
        page.get_by_role("button", name="Mark as in operation").click()
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == "The system cannot go into operation yet"
        assert "very-high risks to equality have no accepted treatment" in page.locator("main").inner_text()
        assert "Redirecting" not in page.content()
        page.get_by_role("link", name="Back to Benefit scoring A").click()
        page.wait_for_url(f"{base}/systems/{world.systems['a']}")
