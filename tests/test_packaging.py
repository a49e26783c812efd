"""A wheel installed (not editable) in a fresh virtual environment outside the repository works."""

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The project built as a wheel and installed into a new venv; dependencies come from this one."""
    work = tmp_path_factory.mktemp("packaging")
    # From a copy without earlier build output, as a fresh clone is: a stale build/ folder would hide a file
    # the package data leaves out.
    source = work / "source"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", "__pycache__", "*_cache", "instance", "benchmarks"
        ),
    )
    wheels = work / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(source),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
        ],
        check=True,
        cwd=work,
    )
    wheel = next(wheels.glob("hria-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        cwd=work,
    )
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies are this environment's, so the test needs no download.
    (site / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return work, venv


def _env(work):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRIA_") and k != "PYTHONPATH"}
    env["HRIA_INSTANCE_PATH"] = str(work / "instance")
    return env


def test_installed_package_is_the_wheel_not_the_checkout(installed):
    work, venv = installed
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import hria, questionnaires; print(hria.__file__)"],
        capture_output=True,
        text=True,
        cwd=work,
        env=_env(work),
        check=True,
    ).stdout
    assert where.startswith(str(venv))
    assert (Path(where).parent / "templates" / "base.html").exists()
    assert (Path(where).parent / "migrations" / "versions" / "0001_initial_schema.py").exists()


def test_the_installed_package_has_its_data_files(installed):
    work, venv = installed
    checked = subprocess.run(
        [str(venv / "bin" / "hria"), "questions", "check"],
        capture_output=True,
        text=True,
        cwd=work,
        env=_env(work),
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # the frameworks beside the banks, and the clauses
    assert "eu_ai_act_art27   44 questions" in checked.stdout and "iama" in checked.stdout
    site = Path(
        subprocess.run(
            [str(venv / "bin" / "python"), "-c", "import hria, os; print(os.path.dirname(hria.__file__))"],
            capture_output=True,
            text=True,
            cwd=work,
            env=_env(work),
            check=True,
        ).stdout.strip()
    )
    for fmt in ("eu-database", "atrs", "nl-algoritmeregister", "eurocities"):
        assert (site / "domain" / "register_schemas" / f"{fmt}.schema.json").is_file(), fmt
    assert (site.parent / "questionnaires" / "clauses.yaml").is_file()


def test_installed_hria_serves_the_login_page(installed):
    work, venv = installed
    env = {**_env(work), "PYTHONUNBUFFERED": "1"}
    init = subprocess.run(
        [str(venv / "bin" / "hria"), "init"], capture_output=True, text=True, cwd=work, env=env
    )
    assert init.returncode == 0, init.stderr
    assert "migrated from empty to revision" in init.stdout

    port = _free_port()
    # A file, not a pipe: a server whose unread pipe fills up would block, and the file is there to show on
    # failure.
    log = work / "server.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [str(venv / "bin" / "hria"), "serve", "--port", str(port), "--demo"],
            cwd=work,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        body = _wait_for(server, f"http://127.0.0.1:{port}/login", log)
        assert "<h1>Sign in</h1>" in body
        assert 'name="csrf_token"' in body
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/hria.css", timeout=10)
        assert css.status == 200
    finally:
        _stop(server)
    output = log.read_text()
    assert "procurer@riverton.example" in output, output
    assert f"HRIA is running at http://localhost:{port}/" in output, output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(server: subprocess.Popen, url: str, log: Path, seconds: float = 120) -> str:
    """The page at url once the server answers; fails early if the server exits, showing what it printed.

    The bound is generous: with --demo the server first seeds audits, explanations and signed reports, which
    takes minutes on a loaded two-core machine.
    """
    deadline = time.monotonic() + seconds
    while True:
        if server.poll() is not None:
            pytest.fail(
                f"hria serve exited with {server.returncode} before answering {url}:\n{log.read_text()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError as error:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"hria serve did not answer {url} within {seconds:.0f} s ({error}); "
                    f"it printed:\n{log.read_text()}"
                )
            time.sleep(0.5)


def _stop(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=15)


def test_a_server_that_exits_early_is_reported_at_once_with_its_output(tmp_path):
    log = tmp_path / "server.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "-c", "print('Address already in use'); raise SystemExit(3)"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    started = time.monotonic()
    with pytest.raises(pytest.fail.Exception, match=r"exited with 3 (.|\n)*Address already in use"):
        _wait_for(server, f"http://127.0.0.1:{_free_port()}/login", log)
    assert time.monotonic() - started < 30  # not the whole bound


def test_a_server_that_never_answers_is_reported_with_its_output(tmp_path):
    log = tmp_path / "server.log"
    with open(log, "w") as output:
        server = subprocess.Popen(
            [sys.executable, "-c", "import time; print('seeding the demo', flush=True); time.sleep(60)"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        for _ in range(300):  # until it has printed, however loaded the machine
            if log.read_text():
                break
            time.sleep(0.1)
        with pytest.raises(
            pytest.fail.Exception, match=r"did not answer .* within 2 s(.|\n)*seeding the demo"
        ):
            _wait_for(server, f"http://127.0.0.1:{_free_port()}/login", log, seconds=2)
    finally:
        _stop(server)
