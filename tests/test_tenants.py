"""Each user sees only what belongs to them: everything else answers 404, on every view and action."""

import inspect
import re

import pytest
from conftest import csrf_token
from parties import ROLES, build

OBJECT_ARGS = {
    "system_id": "systems",
    "assessment_id": "assessments",
    "audit_id": "audits",
    "evidence_id": "evidence",
}

# Which city's objects each role may see, and which it may not.
OUTSIDERS = {
    "procurer_a": "b",
    "procurer_b": "a",
    "vendor_a": "b",
    "vendor_b": "a",
    "oversight_a": "b",
    "oversight_b": "a",
}


def object_routes(app):
    """Every route that takes a system or assessment id, with each of its methods."""
    for rule in app.url_map.iter_rules():
        args = set(rule.arguments) & set(OBJECT_ARGS)
        if not args:
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


# Valid values for the other parts of a URL, so that only the object's owner decides the answer.
OTHER_ARGS = {"section_key": "purpose", "question_id": "SCO-02", "action_id": "1", "key": "submit"}


def _build(rule, values):
    url = rule.rule
    for name, value in OTHER_ARGS.items():
        url = url.replace(f"<{name}>", value).replace(f"<int:{name}>", value)
    for name, value in values.items():
        url = url.replace(f"<int:{name}>", str(value))
    return url


def test_there_are_object_routes_to_check(app):
    routes = list(object_routes(app))
    assert len(routes) >= 9
    assert any(method == "POST" for _, method in routes)


@pytest.mark.parametrize("user_key", sorted(OUTSIDERS))
def test_objects_of_other_organisations_answer_404(app, client, world, auth, user_key):
    auth.login(world.users[user_key])
    token = csrf_token(client.get("/").get_data(as_text=True))
    foreign = OUTSIDERS[user_key]
    checked = 0
    for rule, method in object_routes(app):
        url = _build(
            rule, {a: getattr(world, OBJECT_ARGS[a])[foreign] for a in rule.arguments if a in OBJECT_ARGS}
        )
        if method == "GET":
            response = client.get(url)
        else:
            response = client.open(
                url, method=method, data={"csrf_token": token, "name": "x", "stage": "scoping"}
            )
        body = response.get_data(as_text=True)
        assert response.status_code == 404, f"{user_key} {method} {url} gave {response.status_code}"
        assert "Benefit scoring" not in body, f"{user_key} {method} {url} leaked the object"
        checked += 1
    assert checked >= 5


@pytest.mark.parametrize("user_key", sorted(OUTSIDERS))
def test_dashboard_lists_only_own_systems(client, world, auth, user_key):
    auth.login(world.users[user_key])
    page = client.get("/").get_data(as_text=True)
    own, foreign = user_key[-1], OUTSIDERS[user_key]
    assert f"Benefit scoring {own.upper()}" in page
    assert f"Benefit scoring {foreign.upper()}" not in page


@pytest.mark.parametrize("user_key", ["vendor_a", "oversight_a"])
def test_visible_but_not_editable_answers_403(client, world, auth, user_key):
    auth.login(world.users[user_key])
    assert client.get(f"/systems/{world.systems['a']}").status_code == 200
    assert client.get(f"/assessments/{world.assessments['a']}").status_code == 200
    assert client.get(f"/systems/{world.systems['a']}/edit").status_code == 403
    # vendors register the systems they sell (to self-certify them); oversight bodies register none
    assert client.get("/systems/new").status_code == (200 if user_key == "vendor_a" else 403)


def test_vendor_sees_only_invited_assessments(client, world, auth, make_assessment):
    uninvited_id = make_assessment("a", stage="deployment")
    auth.login(world.users["vendor_a"])
    assert client.get(f"/assessments/{uninvited_id}").status_code == 404
    system_page = client.get(f"/systems/{world.systems['a']}").get_data(as_text=True)
    assert f"/assessments/{world.assessments['a']}" in system_page
    assert f"/assessments/{uninvited_id}" not in system_page


def test_admin_pages_answer_404_to_everyone_else(client, world, auth):
    for user_key in OUTSIDERS:
        auth.login(world.users[user_key])
        token = csrf_token(client.get("/").get_data(as_text=True))
        for url in ("/admin/organisations", "/admin/users"):
            assert client.get(url).status_code == 404, (user_key, url)
        for url in ("/admin/users/1/active", "/admin/users/1/password", "/admin/oversight"):
            assert client.post(url, data={"csrf_token": token}).status_code == 404, (user_key, url)
        auth.logout()


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    response = client.get(f"/systems/{world.systems['a']}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# --- Every download and every comment thread, for every role, in a buyer's assessment and in a shared one ---


def _statuses(**by_role: int) -> dict[str, int]:
    assert set(by_role) == set(ROLES)
    return by_role


# City A's procurement assessment, Vendor A invited.
EVERY_PARTY = _statuses(
    admin=200, procurer_a=200, procurer_b=404, oversight_a=200, oversight_b=404, vendor_a=200, vendor_b=404
)
BUYER_SIDE = {**EVERY_PARTY, "vendor_a": 404}
MANAGERS = {**EVERY_PARTY, "oversight_a": 403, "vendor_a": 403}
# Vendor B's self-certification, shared read-only with City A.
SHARED_READERS = _statuses(
    admin=200, procurer_a=200, procurer_b=404, oversight_a=404, oversight_b=404, vendor_a=404, vendor_b=200
)
SHARED_PARTIES = {**SHARED_READERS, "procurer_a": 404}
SHARED_MANAGERS = {**SHARED_READERS, "procurer_a": 403}

READS = [
    # (what, url pattern filled from Parties, expected status by role)
    ("file of the buyer's question", "/evidence/{evidence[buyer_question]}/download", BUYER_SIDE),
    ("file of the vendor's question", "/evidence/{evidence[vendor_question]}/download", EVERY_PARTY),
    ("file of a question either answers", "/evidence/{evidence[either_question]}/download", EVERY_PARTY),
    (
        "file of a question the bank no longer has",
        "/evidence/{evidence[unknown_question]}/download",
        BUYER_SIDE,
    ),
    ("file of a remediation action", "/evidence/{evidence[action]}/download", BUYER_SIDE),
    ("model outputs of an audit", "/evidence/{evidence[outputs]}/download", EVERY_PARTY),
    ("audit of the outputs", "/audits/{audits[procurement]}", EVERY_PARTY),
    ("shared: audit of the outputs", "/audits/{audits[shared]}", SHARED_READERS),
    ("risk report", "/reports/{reports[risk]}/download", BUYER_SIDE),
    ("self-certification report", "/reports/{reports[self-certification]}/download", EVERY_PARTY),
    ("oversight review", "/reports/{reports[review]}/download", BUYER_SIDE),
    ("signed JSON export", "/assessments/{assessment}/export.json", MANAGERS),
    ("comment threads", "/assessments/{assessment}/comments", EVERY_PARTY),
    ("contract clauses", "/assessments/{assessment}/clauses.pdf", BUYER_SIDE),
    ("Art. 27(3) notification", "/assessments/{assessment}/fria.json", BUYER_SIDE),
    ("signed Art. 27(3) notification", "/assessments/{assessment}/fria.pdf", BUYER_SIDE),
    # a vendor that sees the system exports what it may read of it (tests/test_register_exports.py)
    ("register export", "/systems/{system}/registers/atrs.json", EVERY_PARTY),
    ("contract clauses to edit", "/assessments/{assessment}/clauses.docx", BUYER_SIDE),
    ("shared: file of a question", "/evidence/{evidence[shared_question]}/download", SHARED_READERS),
    ("shared: file of a remediation action", "/evidence/{evidence[shared_action]}/download", SHARED_READERS),
    ("shared: model outputs", "/evidence/{evidence[shared_outputs]}/download", SHARED_READERS),
    ("shared: self-certification report", "/reports/{reports[shared]}/download", SHARED_READERS),
    ("shared: signed JSON export", "/assessments/{shared}/export.json", SHARED_MANAGERS),
    ("shared: comment threads", "/assessments/{shared}/comments", SHARED_PARTIES),
    ("shared: contract clauses", "/assessments/{shared}/clauses.pdf", SHARED_READERS),
]

# Which comment threads each party reads (on the comments page, and nowhere else).
THREADS = {
    "buyer_thread": {"admin", "procurer_a", "oversight_a"},
    "open_thread": {"admin", "procurer_a", "oversight_a", "vendor_a"},
    "buyer_question": {"admin", "procurer_a", "oversight_a"},
    "buyer_question_reply": {"admin", "procurer_a", "oversight_a"},
    "vendor_question": {"admin", "procurer_a", "oversight_a", "vendor_a"},
    "finding": {"admin", "procurer_a", "oversight_a"},
    "action": {"admin", "procurer_a", "oversight_a"},
    "shared_thread": {"admin", "vendor_b"},
    "shared_question": {"admin", "vendor_b"},
}


@pytest.fixture
def parties(app, world, tmp_path):
    return build(app, world, tmp_path / "reports")


def _url(pattern, parties):
    return pattern.format(**vars(parties))


def _fetch(client, url):
    """GET a page or a file; the signed export is a POST (it signs and records), with the session's token."""
    if url.endswith("/export.json"):
        return client.post(url, data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    return client.get(url)


@pytest.mark.parametrize("role", ROLES)
def test_every_download_answers_each_role_by_the_rule_of_its_object(client, auth, world, parties, role):
    auth.login(world.users[role])
    got = {what: _fetch(client, _url(pattern, parties)).status_code for what, pattern, _ in READS}
    assert got == {what: expected[role] for what, _, expected in READS}


@pytest.mark.parametrize("role", ROLES)
def test_every_comment_thread_is_read_by_the_parties_who_read_its_object(client, auth, world, parties, role):
    auth.login(world.users[role])
    pages = client.get(f"/assessments/{parties.assessment}/comments").get_data(as_text=True) + client.get(
        f"/assessments/{parties.shared}/comments"
    ).get_data(as_text=True)
    shown = {key for key, body in parties.bodies.items() if body in pages}
    assert shown == {key for key, readers in THREADS.items() if role in readers}


def test_the_matrix_covers_every_download_and_comment_route(app, parties):
    """A new route that sends a file or a document must be added to READS."""
    adapter = app.url_map.bind("localhost")
    covered = {
        adapter.match(_url(pattern, parties), method="POST" if pattern.endswith("export.json") else "GET")[0]
        for _, pattern, _ in READS
    }
    sending = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if any(marker in inspect.getsource(view) for marker in ("send_file(", "Response(", "as_attachment"))
    }
    # the public pages send only what a published system shows anyone (tests/test_public.py walks them)
    public = {"public.index_json", "public.report_pdf"}
    assert sending == {
        "audits.download",
        "reports.download",
        "assessments.export_assessment",
        "clauses.download",
        "assessments.fria_json",
        "assessments.fria_pdf",
        "systems.register_export",
        *public,
    }
    assert (sending - public) | {"comments.comments", "audits.view"} <= covered


@pytest.mark.parametrize("role", ["procurer_a", "oversight_a", "vendor_a", "vendor_b"])
def test_pages_list_exactly_the_files_a_party_may_download(client, auth, world, parties, role):
    """Lists and downloads agree: a listed file downloads, a file that downloads is listed."""
    from hria.domain import questions
    from hria.domain.models import Assessment
    from hria.extensions import db

    auth.login(world.users[role])
    listed, downloadable = set(), set()
    for aid in (parties.assessment, parties.shared):
        with client.application.app_context():
            assessment = db.session.get(Assessment, aid)
            sections = [
                s["key"]
                for s in questions.stage_questions(questions.bank_for(assessment), assessment)["sections"]
            ]
        pages = [f"/assessments/{aid}", f"/assessments/{aid}/remediation", f"/assessments/{aid}/comments"]
        pages += [f"/assessments/{aid}/sections/{key}" for key in sections]
        pages += [f"/audits/{audit}" for audit in parties.audits.values()]
        for page in pages:
            listed |= {
                int(i)
                for i in re.findall(r"/evidence/(\d+)/download", client.get(page).get_data(as_text=True))
            }
    for item in parties.evidence.values():
        if client.get(f"/evidence/{item}/download").status_code == 200:
            downloadable.add(item)
    assert listed <= downloadable
    # every downloadable file but those kept for the record of an old bank version is listed somewhere
    assert downloadable - listed <= {parties.evidence["unknown_question"]}


@pytest.mark.parametrize(
    "role, which", [("procurer_a", "assessment"), ("admin", "assessment"), ("vendor_b", "shared")]
)
def test_the_signed_export_carries_only_files_its_exporter_may_download(
    app, client, auth, world, parties, role, which
):
    """Only those who manage the system export it, and they read every question's files: the export holds the
    files of the questions, each of which downloads for the exporter."""
    import json

    from hria.domain.models import Evidence
    from hria.extensions import db

    auth.login(world.users[role])
    assessment = getattr(parties, which)
    document = json.loads(_fetch(client, f"/assessments/{assessment}/export.json").get_data(as_text=True))
    exported = {item["filename"] for item in document["payload"]["assessment"]["evidence"]}
    with app.app_context():
        files = {
            e.filename: e.id
            for e in db.session.query(Evidence).filter_by(assessment_id=assessment, purpose="question")
        }
    assert exported == set(files) and exported
    assert {client.get(f"/evidence/{files[name]}/download").status_code for name in exported} == {200}
