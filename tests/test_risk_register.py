"""The risk register's rating form: nothing pre-chosen, each dimension in its own words, and the residual
risk after treatment beside the inherent one."""

from conftest import form_fields
from test_wizard import save_section

from hria.domain.models import RiskRating
from hria.extensions import db


def _register(client, aid) -> str:
    return client.get(f"/assessments/{aid}/risks").get_data(as_text=True)


def _rate(client, aid, **ratings):
    token = form_fields(_register(client, aid))["csrf_token"]
    data = {"csrf_token": token, "right": "social_economic", "treatment": "Human review of every suspension"}
    data.update({key: str(value) for key, value in ratings.items()})
    return client.post(f"/assessments/{aid}/risks", data=data, follow_redirects=True)


def _rating(app, aid):
    with app.app_context():
        return db.session.query(RiskRating).filter_by(assessment_id=aid, right="social_economic").first()


def test_nothing_is_pre_chosen_and_an_empty_save_records_nothing(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    aid = world.assessments["a"]
    save_section(client, aid, "purpose", {"SCO-04": "yes"}, button="save")
    page = _register(client, aid)
    # every select of every rated right starts on the empty choice: 8 per right (inherent and residual)
    rights = page.count('name="right"')
    assert rights >= 1
    assert page.count('<option selected value="">— choose —</option>') == 8 * rights
    assert page.count("<select") == 8 * rights
    response = _rate(client, aid, scale="", scope="", reversibility="", likelihood="")
    body = response.get_data(as_text=True)
    assert "Choose the scale of the harm." in body and "Choose how likely the harm is." in body
    assert _rating(app, aid) is None


def test_likelihood_and_scope_have_their_own_words(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    aid = world.assessments["a"]
    save_section(client, aid, "purpose", {"SCO-04": "yes"}, button="save")
    page = _register(client, aid)
    likelihood = page[
        page.index('name="likelihood"') : page.index("</select>", page.index('name="likelihood"'))
    ]
    assert "4 — almost certain" in likelihood and "1 — rare" in likelihood and "serious" not in likelihood
    scope = page[page.index('name="scope"') : page.index("</select>", page.index('name="scope"'))]
    assert "4 — most residents, or a whole group" in scope and "minor" not in scope


def test_residual_risk_is_shown_beside_the_inherent_level(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    aid = world.assessments["a"]
    save_section(client, aid, "purpose", {"SCO-04": "yes"}, button="save")
    # severity first: inherent 4 + 3 + 3 = 10, in the top band (10–12) → very high; after review
    # 2 + 3 + 1 = 6, in the medium band (6–7), and no dimension at its gravest → medium
    body = _rate(
        client,
        aid,
        scale=4,
        scope=3,
        reversibility=3,
        likelihood=3,
        residual_scale=2,
        residual_scope=3,
        residual_reversibility=1,
        residual_likelihood=2,
    ).get_data(as_text=True)
    assert (
        'risk-very_high">Very high</span> <span class="muted">→ after treatment</span> '
        '<span class="risk-level risk-medium">Medium' in body
    )
    rating = _rating(app, aid)
    assert (rating.residual_scale, rating.residual_likelihood) == (2, 2)


def test_a_partial_residual_rating_is_refused_and_the_saved_one_kept(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    aid = world.assessments["a"]
    save_section(client, aid, "purpose", {"SCO-04": "yes"}, button="save")
    _rate(client, aid, scale=4, scope=3, reversibility=3, likelihood=3)
    body = _rate(client, aid, scale=1, scope=1, reversibility=1, likelihood=1, residual_scale=2).get_data(
        as_text=True
    )
    assert "Rate all four dimensions after treatment, or none" in body
    rating = _rating(app, aid)
    assert (rating.scale, rating.likelihood, rating.residual_scale) == (4, 3, None)
