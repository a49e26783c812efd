"""An invited vendor works on its part of a buyer's assessment and sees nothing of the buyer's scoring."""

import re

import pytest

from hria.domain.models import Assessment
from hria.extensions import db


@pytest.fixture
def scored(app, world):
    with app.app_context():
        db.session.get(Assessment, world.assessments["a"]).impact_level = "III"
        db.session.commit()
    return world


@pytest.mark.parametrize("who, sees", [("procurer_a", True), ("oversight_a", True), ("vendor_a", False)])
def test_the_impact_level_shows_only_to_the_buyer_side(client, auth, scored, who, sees):
    auth.login(scored.users[who])
    pages = [
        client.get(url).get_data(as_text=True)
        for url in ("/", f"/systems/{scored.systems['a']}", f"/assessments/{scored.assessments['a']}")
    ]
    shown = [
        bool(re.search(r"level III|<td>III</td>|<dd>III</dd>", " ".join(page.split()))) for page in pages
    ]
    assert shown == [sees, sees, sees]
