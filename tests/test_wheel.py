"""The built wheel, installed into a fresh virtual environment, runs without the source tree."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_runs_outside_the_source_tree(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)], check=True,
                   capture_output=True, text=True)
    wheel = next(dist.glob("unionflow-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "cli.py" in names
    assert any(n.startswith("workflow/migrations/versions/") and n.endswith(".py") for n in names)
    assert any(n.startswith("templates/") and n.endswith(".j2") for n in names), "templates missing from the wheel"
    assert "templates/locale/zh_CN/LC_MESSAGES/unionflow.mo" in names, "compiled catalog missing from the wheel"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = venv / "bin" / "pip"
    subprocess.run([str(pip), "install", "-q", str(wheel)], check=True, capture_output=True, text=True)
    exe = str(venv / "bin" / "unionflow")
    locale = ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE")
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNIONFLOW_") and k != "PYTHONPATH" and k not in locale}
    env["UNIONFLOW_HOME"] = str(tmp_path / "home")
    run = dict(cwd=tmp_path, env=env, capture_output=True, text=True)  # cwd outside the source tree

    # A service's environment names no language: Chinese, from the compiled catalog inside the wheel.
    assert "用法: unionflow" in subprocess.run([exe, "--help"], check=True, **run).stdout
    assert "Usage: unionflow" in subprocess.run([exe, "--lang", "en", "--help"], check=True, **run).stdout
    env["UNIONFLOW_LANG"] = "en"
    db = f"sqlite:///{tmp_path}/w.db"
    out = subprocess.run([exe, "--db", db, "init", "--admin", "A01", "--name", "管理员", "--email", "a@example.org"],
                         check=True, **run).stdout
    assert "admin A01 created" in out
    listed = subprocess.run([exe, "--db", db, "cadre", "list", "--json"], check=True, **run).stdout
    assert '"code": "A01"' in listed
    where = subprocess.run([str(venv / "bin" / "python"), "-c", "import templates, workflow; print(templates.__file__, workflow.__file__)"],
                           check=True, **run).stdout
    assert str(ROOT) not in where and "site-packages" in where
