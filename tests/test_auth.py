"""Signing in: passwords, throttling, CSRF, safe redirects, deactivation."""

import threading
import time
from datetime import timedelta

from conftest import PASSWORD, csrf_token

from hria.domain import sign_in_throttle
from hria.domain.models import LoginAttempt, User
from hria.extensions import db


def test_right_password_signs_in(client, world, auth):
    response = auth.login(world.users["procurer_a"])
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Benefit scoring A" in client.get("/").get_data(as_text=True)


def test_wrong_password_rejected(client, world, auth):
    response = auth.login(world.users["procurer_a"], "not the password")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still signed out


def test_unknown_email_gets_the_same_answer(world, auth):
    response = auth.login("nobody@nowhere.example", "whatever")
    assert response.status_code == 401
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_passwords_are_stored_hashed(app, world):
    with app.app_context():
        user = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        assert PASSWORD not in user.password_hash
        assert user.password_hash.startswith("scrypt:")


def sign_in(client, email: str, password: str = PASSWORD, address: str = "127.0.0.1"):
    """Sign in as if from ``address`` (the test client's default is 127.0.0.1; it sends nothing anywhere)."""
    page = client.get("/login", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True)
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_token(page)},
        environ_base={"REMOTE_ADDR": address},
    )


def age_attempts(app, seconds: float) -> None:
    """Move every recorded sign-in attempt ``seconds`` into the past, as if that time had gone by."""
    with app.app_context():
        for row in db.session.query(LoginAttempt):
            row.at -= timedelta(seconds=seconds)
        db.session.commit()


def test_waits_double_after_three_failures_of_one_account_from_one_address(app, client, world):
    vendor = world.users["vendor_a"]
    for attempt in range(3):
        assert sign_in(client, vendor, f"guess {attempt}").status_code == 401
    waiting = sign_in(client, vendor, PASSWORD)  # even the right password waits
    assert waiting.status_code == 429
    assert waiting.headers["Retry-After"] == "5"
    assert "Too many sign-in attempts. Wait 5 seconds before you try again." in waiting.get_data(as_text=True)
    assert client.get("/").status_code == 302

    age_attempts(app, 6)
    assert sign_in(client, vendor, "guess 4").status_code == 401
    waiting = sign_in(client, vendor, PASSWORD)
    assert (waiting.status_code, waiting.headers["Retry-After"]) == (429, "10")
    age_attempts(app, 11)
    assert sign_in(client, vendor, "guess 5").status_code == 401
    assert sign_in(client, vendor, PASSWORD).headers["Retry-After"] == "20"


def test_backoff_is_capped_at_the_lock_length(app):
    with app.test_request_context():
        assert [sign_in_throttle.backoff_seconds(n) for n in (0, 2, 3, 4, 5, 10, 11, 12, 60)] == [
            0,
            0,
            5,
            10,
            20,
            640,
            900,
            900,
            900,
        ]


def test_a_success_clears_the_backoff_of_that_account_and_address(app, client, world, auth):
    vendor = world.users["vendor_a"]
    for attempt in range(3):
        sign_in(client, vendor, f"guess {attempt}")
    age_attempts(app, 6)
    assert sign_in(client, vendor).status_code == 302
    auth.logout()
    for attempt in range(3):
        assert sign_in(client, vendor, f"again {attempt}").status_code == 401


def test_failures_from_another_address_do_not_lock_the_owner_out(app, world):
    """Guessing someone's password must not become a way to keep them out."""
    vendor = world.users["vendor_a"]
    attacker, owner = app.test_client(), app.test_client()
    for attempt in range(6):
        age_attempts(app, 3600)
        assert sign_in(attacker, vendor, f"guess {attempt}", address="198.51.100.66").status_code == 401
    assert sign_in(attacker, vendor, PASSWORD, address="198.51.100.66").status_code == 429
    assert sign_in(owner, vendor, PASSWORD, address="192.0.2.10").status_code == 302
    assert owner.get("/", environ_base={"REMOTE_ADDR": "192.0.2.10"}).status_code == 200


def test_unknown_and_known_accounts_are_throttled_alike(client, world):
    for email in ("nobody@nowhere.example", world.users["vendor_a"]):
        answers = [sign_in(client, email, "guess").status_code for _ in range(4)]
        assert answers == [401, 401, 401, 429], email


def test_own_sign_in_does_not_reset_the_address_ceiling(app, world):
    """18 failures, one sign-in of the attacker's own account, 2 more failures: the address is stopped."""
    address = "198.51.100.7"
    attacker, own = app.test_client(), app.test_client()
    started = time.monotonic()
    for n in range(18):
        assert sign_in(attacker, f"user{n}@city.example", "guess", address=address).status_code == 401
    assert sign_in(own, world.users["procurer_b"], PASSWORD, address=address).status_code == 302
    for n in range(18, 20):
        assert sign_in(attacker, f"user{n}@city.example", "guess", address=address).status_code == 401
    refused = sign_in(attacker, "user20@city.example", "guess", address=address)
    assert refused.status_code == 429
    # the wait runs from the first failure counted: 15 minutes less the seconds the 21 attempts took
    elapsed = time.monotonic() - started
    assert 900 - elapsed - 1 <= int(refused.headers["Retry-After"]) <= 900
    assert "Wait 15 minutes before you try again." in refused.get_data(as_text=True)
    # another address is not held back
    assert sign_in(app.test_client(), world.users["procurer_a"], address="192.0.2.10").status_code == 302


def test_address_ceiling_expires(app, client, world):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 6
    for attempt in range(6):
        sign_in(client, f"someone{attempt}@x.example", "guess")
    assert sign_in(client, world.users["procurer_a"]).status_code == 429
    age_attempts(app, 15 * 60 + 1)
    assert sign_in(client, world.users["procurer_a"]).status_code == 302


def test_parallel_guesses_get_no_more_than_the_free_failures(app, world):
    """Eight guesses sent at once, on eight threads: only three are checked, the rest must wait."""
    clients = [app.test_client() for _ in range(8)]
    tokens = [csrf_token(c.get("/login").get_data(as_text=True)) for c in clients]
    start = threading.Barrier(len(clients))
    answers = []

    def guess(client, token, n):
        start.wait()
        response = client.post(
            "/login", data={"email": world.users["vendor_a"], "password": f"guess {n}", "csrf_token": token}
        )
        answers.append(response.status_code)

    threads = [
        threading.Thread(target=guess, args=(c, t, n))
        for n, (c, t) in enumerate(zip(clients, tokens, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [401] * 3 + [429] * 5


def test_address_is_locked_after_many_failures_across_accounts(app, client, world, auth):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 6
    for attempt in range(6):
        auth.login(f"someone{attempt}@x.example", "guess")
    assert auth.login(world.users["procurer_a"]).status_code == 429


def test_post_without_csrf_token_is_refused(client, world):
    response = client.post("/login", data={"email": world.users["procurer_a"], "password": PASSWORD})
    assert response.status_code == 400
    assert "This form has expired or did not come from this site" in response.get_data(as_text=True)


def test_post_with_forged_csrf_token_is_refused(client, world, auth):
    auth.login(world.users["procurer_a"])
    response = client.post(
        f"/systems/{world.systems['a']}/edit", data={"csrf_token": "forged", "name": "Hijacked"}
    )
    assert response.status_code == 400


def test_next_to_another_host_is_ignored(world, auth):
    for target in ("https://evil.example/", "//evil.example/x", "http:/\\evil.example", "/\\evil.example"):
        response = auth.login(world.users["procurer_a"], next=target)
        assert response.headers["Location"] == "/", target
        auth.logout()


def test_next_on_this_site_is_followed(world, auth):
    target = f"/systems/{world.systems['a']}"
    response = auth.login(world.users["procurer_a"], next=target)
    assert response.headers["Location"] == target


def test_login_page_carries_next_from_query(client):
    page = client.get("/login?next=/systems/1").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/systems/1"' in page


def test_deactivated_user_cannot_sign_in_and_loses_the_session(app, client, world, auth):
    auth.login(world.users["procurer_a"])
    assert client.get("/").status_code == 200
    with app.app_context():
        user = db.session.query(User).filter_by(email=world.users["procurer_a"]).one()
        user.active = False
        db.session.commit()
    assert client.get("/").status_code == 302
    response = auth.login(world.users["procurer_a"])
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)


def test_logout_needs_a_post(client, world, auth):
    auth.login(world.users["procurer_a"])
    assert client.get("/logout").status_code == 405
    auth.logout()
    assert client.get("/").status_code == 302


def test_change_password(client, world, auth):
    auth.login(world.users["procurer_a"])
    page = client.get("/account/password").get_data(as_text=True)
    wrong = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page),
            "current": "nope",
            "new": "a much longer one",
            "confirm": "a much longer one",
        },
    )
    assert "This is not your current password." in wrong.get_data(as_text=True)
    short = client.post(
        "/account/password",
        data={"csrf_token": csrf_token(page), "current": PASSWORD, "new": "short", "confirm": "short"},
    )
    assert "at least 10 characters" in short.get_data(as_text=True)
    ok = client.post(
        "/account/password",
        data={
            "csrf_token": csrf_token(page),
            "current": PASSWORD,
            "new": "a much longer one",
            "confirm": "a much longer one",
        },
    )
    assert ok.status_code == 302
    auth.logout()
    assert auth.login(world.users["procurer_a"]).status_code == 401
    assert auth.login(world.users["procurer_a"], "a much longer one").status_code == 302


def test_unknown_email_costs_a_real_password_hash(app, world, auth, monkeypatch):
    """Known or not, an email costs one scrypt check of the same cost, so timing tells nothing."""
    from hria.domain import accounts, models

    checked = []

    def spy(module):
        real = module.check_password_hash

        def recording(pwhash, password):
            checked.append(pwhash.split("$")[0])
            return real(pwhash, password)

        monkeypatch.setattr(module, "check_password_hash", recording)

    spy(accounts)
    spy(models)
    assert auth.login("nobody@nowhere.example", "whatever").status_code == 401
    assert auth.login(world.users["vendor_a"], "whatever").status_code == 401
    with app.app_context():
        stored = db.session.query(User).filter_by(email=world.users["vendor_a"]).one().password_hash
    assert checked == [stored.split("$")[0]] * 2 == ["scrypt:32768:8:1"] * 2


WEAK_PASSWORDS = {
    "aaaaaaaaaa": "This password repeats one piece over and over, which is easy to guess.",
    "abcabcabcabc": "This password repeats one piece over and over, which is easy to guess.",
    "password1234": "This password is too easy to guess. This is a very common password.",
    "qwertyuiop": "This password is too easy to guess. This is a top-100 common password.",
    "rita.lopez@city.example": "Do not put your email address or name in your password.",
    "Rita Lopez forever": "Do not put your email address or name in your password.",
    "short": "Use at least 10 characters.",
    "\x00" * 20 + "Abc!defghij": "This password holds a control character (such as NUL, tab or newline)",
    "Tr0ub4dor&3x\tlake": "This password holds a control character (such as NUL, tab or newline)",
    "Tr0ub4dor&3x\x7flake": "This password holds a control character (such as NUL, tab or newline)",
    "Tr0ub4dor&3x\x85lake": "This password holds a control character (such as NUL, tab or newline)",
    "x" * 129: "Use at most 128 characters.",
    "correct horse " * 71_429: "Use at most 128 characters.",  # about a million characters
}


def test_common_repetitive_own_and_overlong_passwords_are_refused():
    from hria.domain.accounts import password_problem

    for password, reason in WEAK_PASSWORDS.items():
        problem = password_problem(password, "rita.lopez@city.example", "Rita Lopez")
        assert problem is not None and problem.startswith(reason), (password[:20], problem)
    for password in ("correct horse battery", "Tr0ub4dor&3x-lake", "x" * 60 + "y7!Q" + "z" * 64):
        assert password_problem(password, "rita.lopez@city.example", "Rita Lopez") is None, password


def test_change_password_states_and_applies_the_rules(client, world, auth):
    auth.login(world.users["procurer_a"])
    page = client.get("/account/password").get_data(as_text=True)
    assert (
        "10 to 128 characters; not a common or repetitive password, and not your email address or name."
        in page
    )
    assert page.count('autocomplete="new-password"') == 2
    for password in ("aaaaaaaaaa", "procurer@a.example", "a" * 1_000_000):
        response = client.post(
            "/account/password",
            data={"csrf_token": csrf_token(page), "current": PASSWORD, "new": password, "confirm": password},
        )
        assert response.status_code == 200
        assert 'role="alert"' in response.get_data(as_text=True)
    auth.logout()
    assert auth.login(world.users["procurer_a"]).status_code == 302  # the password did not change


def test_a_password_with_control_characters_is_refused(client, world, auth):
    auth.login(world.users["procurer_a"])
    page = client.get("/account/password").get_data(as_text=True)
    password = "\x00" * 20 + "Abc!defghij"
    response = client.post(
        "/account/password",
        data={"csrf_token": csrf_token(page), "current": PASSWORD, "new": password, "confirm": password},
    )
    assert response.status_code == 200
    assert (
        "This password holds a control character (such as NUL, tab or newline), which cannot be typed at "
        "every "
        "sign-in. Use letters, digits, spaces and punctuation."
    ) in response.get_data(as_text=True)
    auth.logout()
    assert auth.login(world.users["procurer_a"]).status_code == 302  # the password did not change


def test_command_line_refuses_a_weak_password(app, world):
    from click.testing import CliRunner

    from hria.cli import main

    result = CliRunner().invoke(
        main,
        [
            "create-user",
            "new@a.example",
            "--role",
            "procurer",
            "--organisation",
            "City A",
            "--password",
            "aaaaaaaaaa",
        ],
    )
    assert result.exit_code == 1
    assert "This password repeats one piece over and over" in result.output
    with app.app_context():
        assert db.session.query(User).filter_by(email="new@a.example").count() == 0


def test_generated_and_demo_passwords_pass_the_rules(app):
    from click.testing import CliRunner

    from hria.cli import main
    from hria.domain import demo
    from hria.domain.accounts import generate_password, password_problem

    assert [password_problem(generate_password()) for _ in range(200)] == [None] * 200
    assert CliRunner().invoke(main, ["demo"]).exit_code == 0
    logins = demo.saved_logins(app.instance_path)
    assert [login.email for login in logins] == [
        "admin@riverton.example",
        "procurer@riverton.example",
        "vendor@civic-analytics.example",
        "vendor@urbansight.example",
        "oversight@oversight-board.example",
    ]
    assert [password_problem(login.password, login.email) for login in logins] == [None] * len(logins)
