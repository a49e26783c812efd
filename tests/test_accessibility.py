"""Everyone can use it: axe-core on every page for every role, keyboard-only work, phone-sized screens."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser import (
    blocking_violations,
    chromium_page,
    describe_violations,
    live_server,
    require_axe,
    sign_in,
)
from werkzeug.exceptions import MethodNotAllowed, NotFound

from hria.domain import demo, questions
from hria.domain.models import Assessment, AuditPlan, Evidence, FairnessAudit, Report, System
from hria.domain.vocabulary import EvidencePurpose
from hria.extensions import db

pytestmark = pytest.mark.browser

ANONYMOUS = ""
PROCURER = "procurer@riverton.example"
VENDOR = "vendor@civic-analytics.example"
OVERSIGHT = "oversight@oversight-board.example"
ADMIN = "admin@riverton.example"

# GET pages that are files or data, not pages a person reads: axe has nothing to check there.
NOT_PAGES = {
    "static",
    "home.favicon",
    "home.health",
    "public.index_json",
    "public.report_pdf",
    "reports.download",
    "audits.download",
    "audits.status",
    "assessments.fria_json",
    "assessments.fria_pdf",
    "clauses.download",
    "systems.register_export",
}


@dataclass(frozen=True)
class Page:
    who: str  # the email of the demo user who visits, or ANONYMOUS
    name: str
    path: str
    status: int = 200


@dataclass(frozen=True)
class DemoIds:
    welfare: int
    traffic: int
    scoping: int
    procurement: int
    operation: int
    self_certification: int  # the vendor's own assessment of its product
    sections: tuple[tuple[str, str], ...]  # (key, English title) of the scoping stage
    vendor_sections: tuple[tuple[str, str], ...]  # of the procurement stage, where vendors answer
    outputs: int  # the scoping stage's uploaded model outputs
    audit: int
    explanation: int
    plan: int
    report_pdf: str


@pytest.fixture
def demo_logins(app):
    with app.app_context():
        return {login.email: login.password for login in demo.seed(app.instance_path)}


def demo_ids(app) -> DemoIds:
    with app.app_context():
        welfare = db.session.query(System).filter_by(name="Welfare fraud risk score").one()
        traffic = db.session.query(System).filter_by(name="Traffic camera analytics").one()
        stage = {a.stage: a for a in db.session.query(Assessment).filter_by(system_id=welfare.id)}
        scoping = stage["scoping"]
        bank = questions.bank_for(scoping)
        sections = tuple((s["key"], s["en"]) for s in questions.stage_questions(bank, scoping)["sections"])
        product = db.session.query(System).filter_by(name="Civic FraudSense 3").one()
        self_certification = db.session.query(Assessment).filter_by(system_id=product.id).one()
        procurement = questions.stage_questions(questions.bank_for(self_certification), self_certification)
        vendor_sections = tuple(
            (s["key"], s["en"])
            for s in procurement["sections"]
            if any(
                q["section"] == s["key"] and q["answered_by"] == "vendor" for q in procurement["questions"]
            )
        )
        outputs = (
            db.session.query(Evidence)
            .filter_by(assessment_id=scoping.id, purpose=EvidencePurpose.MODEL_OUTPUTS)
            .one()
        )
        audits = {a.kind: a for a in db.session.query(FairnessAudit).filter_by(assessment_id=scoping.id)}
        plan = db.session.query(AuditPlan).filter_by(assessment_id=stage["operation"].id).first()
        report = (
            db.session.query(Report)
            .filter_by(assessment_id=stage["procurement"].id, superseded_by_id=None)
            .one()
        )
        return DemoIds(
            welfare=welfare.id,
            traffic=traffic.id,
            scoping=scoping.id,
            procurement=stage["procurement"].id,
            operation=stage["operation"].id,
            self_certification=self_certification.id,
            sections=sections,
            vendor_sections=vendor_sections,
            outputs=outputs.id,
            audit=audits["audit"].id,
            explanation=audits["explanation"].id,
            plan=plan.id,
            report_pdf=report.path,
        )


def pages_to_check(ids: DemoIds) -> list[Page]:
    """Every page of the interface, each visited by the role that works on it (several by more)."""
    scoping = f"/assessments/{ids.scoping}"
    pages = [
        Page(ANONYMOUS, "sign-in", "/login"),
        Page(ANONYMOUS, "public register", "/public/"),
        Page(ANONYMOUS, "published system page with the grievance form", f"/public/systems/{ids.welfare}"),
        Page(ANONYMOUS, "verify a report (empty)", "/verify"),
        Page(ANONYMOUS, "page not found", "/no-such-page", 404),
        Page(PROCURER, "procurer dashboard", "/"),
        Page(PROCURER, "register a system", "/systems/new"),
        Page(PROCURER, "system page with the monitoring charts", f"/systems/{ids.welfare}"),
        Page(PROCURER, "system page without assessments in use", f"/systems/{ids.traffic}"),
        Page(PROCURER, "edit a system", f"/systems/{ids.welfare}/edit"),
        Page(PROCURER, "remediation across a system's stages", f"/systems/{ids.welfare}/remediation"),
        Page(PROCURER, "grievances about a system", f"/systems/{ids.welfare}/grievances"),
        Page(PROCURER, "assessment page with its reports list", scoping),
        *(
            Page(PROCURER, f"wizard section: {title}", f"{scoping}/sections/{key}")
            for key, title in ids.sections
        ),
        Page(PROCURER, "check your answers", f"{scoping}/check"),
        Page(PROCURER, "risk register", f"{scoping}/risks"),
        Page(PROCURER, "remediation plan", f"{scoping}/remediation"),
        Page(PROCURER, "audit column mapping", f"{scoping}/audits/new/{ids.outputs}"),
        Page(PROCURER, "audit results", f"/audits/{ids.audit}"),
        Page(PROCURER, "explanation settings", f"{scoping}/explanations/new/{ids.outputs}"),
        Page(PROCURER, "explanation results", f"/audits/{ids.explanation}"),
        Page(PROCURER, "audit plans", f"/assessments/{ids.operation}/audit-plans"),
        Page(PROCURER, "an audit plan", f"/audit-plans/{ids.plan}"),
        Page(PROCURER, "operation assessment with its audit series", f"/assessments/{ids.operation}"),
        Page(PROCURER, "comments", f"/assessments/{ids.procurement}/comments"),
        Page(PROCURER, "conditions of an approval", f"/assessments/{ids.procurement}/conditions"),
        Page(PROCURER, "contract clauses", f"/assessments/{ids.procurement}/clauses"),
        Page(PROCURER, "register exports", f"/systems/{ids.welfare}/registers"),
        Page(PROCURER, "consultations", f"/assessments/{ids.operation}/consultations"),
        Page(PROCURER, "change password", "/account/password"),
        Page(PROCURER, "page not found, signed in", f"/audits/{ids.audit + 1000}", 404),
        Page(VENDOR, "vendor dashboard", "/"),
        Page(VENDOR, "assessment page, as the invited vendor", scoping),
        Page(VENDOR, "self-certification, vendor", f"/assessments/{ids.self_certification}"),
        *(
            Page(
                VENDOR,
                f"wizard section, vendor: {title}",
                f"/assessments/{ids.self_certification}/sections/{key}",
            )
            for key, title in ids.vendor_sections
        ),
        Page(VENDOR, "comments, vendor", f"/assessments/{ids.procurement}/comments"),
        Page(OVERSIGHT, "oversight dashboard", "/"),
        Page(OVERSIGHT, "assessment page, oversight", f"/assessments/{ids.procurement}"),
        Page(OVERSIGHT, "conditions, oversight", f"/assessments/{ids.procurement}/conditions"),
        Page(OVERSIGHT, "audit results, oversight", f"/audits/{ids.audit}"),
        Page(OVERSIGHT, "system page, oversight", f"/systems/{ids.welfare}"),
        Page(ADMIN, "admin dashboard", "/"),
        Page(ADMIN, "users", "/admin/users"),
        Page(ADMIN, "confirm a password reset", "/admin/users/1/confirm/password"),
        Page(ADMIN, "organisations", "/admin/organisations"),
    ]
    return pages


def endpoints_of(app, pages: list[Page]) -> set[str]:
    adapter = app.url_map.bind("localhost")
    found = set()
    for page in pages:
        try:
            endpoint, _ = adapter.match(page.path, method="GET")
        except (NotFound, MethodNotAllowed):
            continue
        found.add(endpoint)
    return found


def page_endpoints(app) -> set[str]:
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and rule.endpoint not in NOT_PAGES
    }


def visit_as(page, base: str, logins: dict[str, str], who: str) -> None:
    page.context.clear_cookies()
    if who:
        sign_in(page, base, who, logins[who])


def test_the_page_list_covers_every_page_of_the_interface(app, demo_logins):
    pages = pages_to_check(demo_ids(app))
    # public.received and reports.verify with a result are reached by sending a form (below)
    missing = page_endpoints(app) - endpoints_of(app, pages) - {"public.received"}
    assert missing == set()


def test_every_page_for_every_role_passes_axe(app, demo_logins):
    require_axe()
    ids = demo_ids(app)
    failures = []
    with live_server(app) as base, chromium_page() as page:
        for who in (ANONYMOUS, PROCURER, VENDOR, OVERSIGHT, ADMIN):
            visit_as(page, base, demo_logins, who)
            for item in (p for p in pages_to_check(ids) if p.who == who):
                response = page.goto(base + item.path)
                assert response.status == item.status, f"{item.name}: {item.path} answered {response.status}"
                failures += blocking(page, f"{item.name} ({who or 'anonymous'}, {item.path})")
        visit_as(page, base, demo_logins, ANONYMOUS)
        page.goto(f"{base}/verify")
        page.set_input_files("input[type=file]", ids.report_pdf)
        page.get_by_role("button", name="Verify").click()
        assert page.locator("#verdict").inner_text().startswith("Verified")
        failures += blocking(page, "verify a report (with a result)")
        page.goto(f"{base}/public/systems/{ids.welfare}")
        page.get_by_label("What happened").fill("The letter gave no reason.")
        page.get_by_role("button", name="Send").click()
        page.wait_for_url("**/received**")
        failures += blocking(page, "grievance received")
    assert not failures, "\n\n".join(failures)


# ids that a label or an aria attribute points to but that name more than one element, and labels whose
# control is in another form: a form drawn once per row must give each row its own ids.
AMBIGUOUS_REFERENCES = """() => {
  const refs = [...document.querySelectorAll('label[for]')].map(l => l.htmlFor);
  for (const name of ['aria-labelledby', 'aria-describedby', 'aria-controls']) {
    document.querySelectorAll('[' + name + ']')
      .forEach(e => refs.push(...e.getAttribute(name).split(/\\s+/)));
  }
  const shared = refs.filter(id => id && document.querySelectorAll('#' + CSS.escape(id)).length > 1);
  const astray = [...document.querySelectorAll('form label[for]')]
    .filter(l => {
      const control = document.getElementById(l.htmlFor);
      return control && control.form && control.form !== l.closest('form');
    })
    .map(l => l.htmlFor);
  return [...new Set([...shared, ...astray])];
}"""


def blocking(page, label: str) -> list[str]:
    found = blocking_violations(page)
    problems = [f"{label}:\n{describe_violations(found)}"] if found else []
    ambiguous = page.evaluate(AMBIGUOUS_REFERENCES)
    if ambiguous:
        problems.append(f"{label}: labels or aria attributes point to ids used more than once: {ambiguous}")
    return problems


# What the keyboard is on: its kind, its name and whether a person can see that it has the focus.
FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const label = e.labels && e.labels.length ? e.labels[0].innerText : (e.getAttribute('aria-label') || '');
  return {
    tag: e.tagName.toLowerCase(), type: e.type || '', id: e.id, name: e.name || '',
    text: (e.tagName === 'SELECT' ? '' : (e.innerText || e.value || '')).trim().slice(0, 100),
    label: label.trim(), checked: !!e.checked,
    outline: style.outlineStyle, shadow: style.boxShadow,
  };
}"""


def tab(page) -> dict:
    page.keyboard.press("Tab")
    focused = page.evaluate(FOCUSED)
    if focused["tag"] != "body":
        assert focused["outline"] != "none" or focused["shadow"] != "none", f"focus not visible on {focused}"
    return focused


def tab_to(page, wanted, limit: int = 250) -> dict:
    """Press Tab until the focused element is the wanted one: it is reachable by keyboard alone."""
    seen = []
    for _ in range(limit):
        focused = tab(page)
        if wanted(focused):
            return focused
        seen.append(focused["label"] or focused["text"] or focused["id"])
    raise AssertionError(f"not reachable with Tab; focus went through {seen}")


def choose(page, option_text: str) -> None:
    """Move the focused select's choice with the arrow keys until it shows option_text."""
    for key in ("Home", *["ArrowDown"] * 40):
        if page.evaluate("document.activeElement.selectedOptions[0].text") == option_text:
            return
        page.keyboard.press(key)
    raise AssertionError(f"no option {option_text!r} in the focused select")


def labelled(text: str):
    return lambda focused: focused["label"].startswith(text)


def named(text: str):
    return lambda focused: focused["text"] == text


def answer_section_by_keyboard(page) -> None:
    """Fill every question of the open wizard section: type in text fields, Space or arrows on choices."""
    chosen = set()
    for _ in range(250):
        focused = tab(page)
        if focused["type"] == "submit" and focused["text"] == "Save and continue":
            page.keyboard.press("Enter")
            return
        question = focused["id"].startswith("SCO-") and "__why" not in focused["id"]
        if question and (focused["tag"] == "textarea" or focused["type"] in ("text", "number")):
            page.keyboard.type("12" if focused["type"] == "number" else "Time traffic lights at junctions")
        elif focused["type"] == "radio" and focused["name"] not in chosen:
            # a first choice by Space, the next by an arrow key: both ways work
            page.keyboard.press(" " if len(chosen) % 2 == 0 else "ArrowDown")
            chosen.add(focused["name"])
        elif focused["type"] == "checkbox" and not focused["checked"]:
            page.keyboard.press(" ")
    raise AssertionError("the section's Save and continue button is not reachable with Tab")


def test_a_wizard_section_and_an_audit_upload_by_keyboard_alone(app, demo_logins, tmp_path):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(5)
    n = 600
    path = tmp_path / "junction-outputs.csv"
    pd.DataFrame(
        {
            "stopped": rng.integers(0, 2, n),
            "flagged": rng.integers(0, 2, n),
            "district": rng.choice(["North", "South"], n),
        }
    ).to_csv(path, index=False)

    with live_server(app) as base, chromium_page() as page:
        page.goto(f"{base}/login")
        tab_to(page, labelled("Email"))
        page.keyboard.type(PROCURER)
        tab_to(page, labelled("Password"))
        page.keyboard.type(demo_logins[PROCURER])
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/")

        tab_to(page, named("Traffic camera analytics"))
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/systems/*")
        tab_to(page, labelled("Lifecycle stage"))
        choose(page, "Scoping")
        tab_to(page, labelled("Language of the questions and the report"))
        choose(page, "English")
        tab_to(page, named("Start assessment"))
        page.keyboard.press("Enter")
        page.wait_for_url(f"{base}/assessments/*")
        assessment = page.url

        tab_to(page, named("Purpose and appropriateness"))
        page.keyboard.press("Enter")
        page.wait_for_url("**/sections/purpose")
        answer_section_by_keyboard(page)
        page.wait_for_url("**/sections/people")
        assert "Saved 6 answers." in page.locator(".flashes").inner_text()  # SCO-01 to SCO-05 and SCO-28

        page.goto(assessment)
        tab_to(page, lambda focused: focused["type"] == "file")
        page.locator(":focus").set_input_files(str(path))
        tab_to(page, named("Upload"))
        page.keyboard.press("Enter")
        page.wait_for_url("**/audits/new/**")
        tab_to(page, labelled("Observed outcome"))
        choose(page, "stopped")
        tab_to(page, labelled("Model decision"))
        choose(page, "flagged")
        tab_to(page, named("Run the audit"))
        page.keyboard.press("Enter")
        page.wait_for_selector("text=What the audit found", timeout=30_000)
        groups = page.locator("section[aria-labelledby=groups]").inner_text()
        assert "district = North" in groups and "district = South" in groups


PHONE = {"width": 390, "height": 844}
# Elements that stick out past the right edge of the screen, outside a container that scrolls on its own.
TOO_WIDE = """width => [...document.querySelectorAll('main *, header *')]
  .filter(e => e.getBoundingClientRect().right > width + 0.5)
  .filter(e => !e.closest('.scroll, .table-scroll, .table-wrap'))
  .slice(0, 6)
  .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
    + (typeof e.className === 'string' && e.className ? '.' + e.className.trim().replace(/ +/g, '.') : ''))"""


VISIBLE_TABLES = "[...document.querySelectorAll('table')].filter(t => t.checkVisibility()).length"


def data_tables_in_tree(cdp) -> int:
    """Tables as the browser tells assistive technology about them: a table that scrolls in its own box
    must still be a table there, with its rows and headers, not a run of text."""
    nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    return sum(1 for n in nodes if not n.get("ignored") and n.get("role", {}).get("value") == "table")


def phone_pages(ids: DemoIds) -> list[Page]:
    """Dashboards, assessment pages, the wizard and what they lead to."""
    wanted = ("dashboard", "assessment page", "wizard section", "system page", "audit results", "check your")
    return [p for p in pages_to_check(ids) if any(word in p.name for word in wanted)]


def test_phone_sized_screens_scroll_sideways_only_inside_tables(app, demo_logins, tmp_path):
    folder = Path(os.environ.get("HRIA_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    ids = demo_ids(app)
    too_wide = {}
    tables_seen = 0
    with live_server(app) as base, chromium_page() as page:
        page.set_viewport_size(PHONE)
        cdp = page.context.new_cdp_session(page)
        for who in (ANONYMOUS, PROCURER, VENDOR, OVERSIGHT, ADMIN):
            visit_as(page, base, demo_logins, who)
            for number, item in enumerate(p for p in phone_pages(ids) if p.who == who):
                page.goto(base + item.path)
                width = page.evaluate("document.documentElement.scrollWidth")
                if width > PHONE["width"]:
                    too_wide[item.name] = (width, page.evaluate(TOO_WIDE, PHONE["width"]))
                tables = data_tables_in_tree(cdp)
                assert tables == page.evaluate(VISIBLE_TABLES), item.name
                tables_seen += tables
                slug = "".join(
                    c if c.isalnum() else "-" for c in f"{who or 'public'}-{number:02d}-{item.name}"
                )
                page.screenshot(path=str(folder / f"{slug}.png"), full_page=True)
    assert too_wide == {}, "\n".join(
        f"{name}: {w} px wide, past the edge: {els}" for name, (w, els) in too_wide.items()
    )
    assert len(list(folder.glob("*.png"))) == len(phone_pages(ids))
    assert tables_seen >= 20


# Each chart drawn as an image: the text that tells its figures to someone who cannot see it.
CHART_TEXT = """() => [...document.querySelectorAll('svg[role=img]')].map(svg => ({
  title: svg.querySelector('title').textContent,
  described: (svg.getAttribute('aria-describedby') || '').split(/\\s+/).filter(Boolean)
    .map(id => (document.getElementById(id) || {textContent: ''}).textContent.trim()).join(' '),
  table: !!(svg.closest('figure') && svg.closest('figure').querySelector('table')),
}))"""


SMALL_BAR_DASH = """() => {
  const bar = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
  bar.setAttribute('class', 'bar bar-small');
  document.querySelector('.chart svg').appendChild(bar);
  return getComputedStyle(bar).strokeDasharray;
}"""


def test_every_chart_tells_its_figures_in_text_and_no_verdict_is_colour_alone(app, demo_logins):
    ids = demo_ids(app)
    with live_server(app) as base, chromium_page() as page:
        sign_in(page, base, PROCURER, demo_logins[PROCURER])
        charts = {}
        for path in (f"/audits/{ids.audit}", f"/audits/{ids.explanation}", f"/systems/{ids.welfare}"):
            page.goto(base + path)
            charts[path] = page.evaluate(CHART_TEXT)
            assert charts[path], f"no chart on {path}"
            assert [c["title"] for c in charts[path] if not (c["described"] or c["table"])] == []

        rates = {c["title"]: c["described"] for c in charts[f"/audits/{ids.audit}"]}
        # the title goes on to name the reference group and its rate
        selection = next(
            d for t, d in rates.items() if t.startswith("Selection rate by nationality, with 95 %")
        )
        assert "nationality non-EU: 42.7 % (interval" in selection
        assert charts[f"/audits/{ids.explanation}"][0]["described"].count("%") >= 5

        page.goto(f"{base}/audits/{ids.audit}")
        # a small group's bar is dashed as well as pale; every verdict count has its word beside it
        # (the demo's groups are all large enough: the bar is drawn here to read the page's style for it)
        dash = page.evaluate(SMALL_BAR_DASH)
        assert dash not in ("", "none")
        counts = page.locator(".verdict-counts li").all_inner_texts()
        assert [text.split(maxsplit=1)[1].split()[0] for text in counts] == [
            "disparities",
            "inconclusive",
            "with",
            "too",
        ]
        verdicts = page.locator("td .verdict").evaluate_all("spans => spans.map(s => s.textContent.trim())")
        assert verdicts and set(verdicts) <= {
            "disparity",
            "inconclusive",
            "no evidence of disparity",
            "too small to judge",
        }
        # groups in the score charts differ by the marker's shape, and the legend shows the shape
        legend = page.locator(".score-chart figcaption .legend").all_inner_texts()
        assert legend and all(text[0] in "●■▲" for text in legend)

        page.goto(f"{base}/systems/{ids.welfare}")
        assert page.locator(".point-change").count() == page.locator(".change-label").count() >= 1
        page.goto(f"{base}/assessments/{ids.scoping}/risks")
        levels = page.locator(".risk-level").all_inner_texts()
        assert levels and all(text.strip() for text in levels)
