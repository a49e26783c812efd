"""A wheel installed (not editable) in a fresh virtual environment outside the repository works."""
import os
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
    wheels = work / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(wheels)], check=True, cwd=work)
    wheel = next(wheels.glob("hria-*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, cwd=work)
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               check=True, capture_output=True, text=True).stdout.strip())
    # The dependencies are this environment's, so the test needs no download.
    (site / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return work, venv


def _env(work):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HRIA_") and k != "PYTHONPATH"}
    env["HRIA_INSTANCE_PATH"] = str(work / "instance")
    return env


def test_installed_package_is_the_wheel_not_the_checkout(installed):
    work, venv = installed
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import hria, questionnaires; print(hria.__file__)"],
                           capture_output=True, text=True, cwd=work, env=_env(work), check=True).stdout
    assert where.startswith(str(venv))
    assert (Path(where).parent / "templates" / "base.html").exists()
    assert (Path(where).parent / "migrations" / "versions" / "0001_initial_schema.py").exists()


def test_installed_hria_serves_the_login_page(installed):
    work, venv = installed
    env = _env(work)
    init = subprocess.run([str(venv / "bin" / "hria"), "init"], capture_output=True, text=True, cwd=work, env=env)
    assert init.returncode == 0, init.stderr
    assert "migrated from empty to revision" in init.stdout

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(venv / "bin" / "hria"), "serve", "--port", str(port), "--demo"],
                              cwd=work, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/login")
        assert "<h1>Sign in</h1>" in body
        assert 'name="csrf_token"' in body
        css = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/hria.css", timeout=5)
        assert css.status == 200
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert "procurer@riverton.example" in output
    assert f"HRIA is running at http://localhost:{port}/" in output


def _wait_for(url: str, seconds: float = 30) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
