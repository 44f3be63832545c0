"""`finmon users create` and the `finmon serve` options (the commands the lead mounts)."""

from __future__ import annotations

import json
from pathlib import Path

import pyotp
import pytest
from typer.testing import CliRunner

from finmon.api.context import build_context
from finmon.api.testing import remember
from finmon.commands.users import app as users_app
from finmon.core.settings import Settings


def test_users_create_prints_the_totp_secret_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FINMON_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    password = "a long admin password"  # noqa: S105 - a test user's
    remember(password)
    result = runner.invoke(
        users_app,
        ["create", "alice", "--role", "admin", "--password-stdin", "--json"],
        input=password + "\n",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    remember(created["totp_secret"])
    assert created["username"] == "alice"
    assert len(pyotp.TOTP(created["totp_secret"]).now()) == 6
    listed = runner.invoke(users_app, ["list", "--json"])
    assert created["totp_secret"] not in listed.stdout
    assert json.loads(listed.stdout)["users"][0]["role"] == "admin"
    ctx = build_context(Settings(data_dir=tmp_path))
    try:
        audited = [e["type"] for e in ctx.audit.entries()]
    finally:
        ctx.close()
    assert audited == ["audit.user_created"]


@pytest.mark.parametrize(
    ("args", "stdin", "field"),
    [
        (["create", "bob", "--role", "admin"], "", "password"),
        (["create", "bob", "--role", "wizard", "--password-stdin"], "long enough pass\n", "role"),
        (["create", "bob", "--role", "service", "--password-stdin"], "long enough pass\n", "role"),
        (["create", "bob", "--role", "analyst", "--password-stdin"], "short\n", "password"),
        (
            ["create", "B O B", "--role", "analyst", "--password-stdin"],
            "long enough pass\n",
            "username",
        ),
    ],
)
def test_users_create_refuses_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], stdin: str, field: str
) -> None:
    from finmon.core.errors import ValidationError

    monkeypatch.setenv("FINMON_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(users_app, args, input=stdin)
    assert isinstance(result.exception, ValidationError)
    assert result.exception.field == field


def test_serve_needs_cert_and_key_together(tmp_path: Path) -> None:
    import typer

    from finmon.commands.serve import serve
    from finmon.core.errors import ValidationError

    app = typer.Typer()
    app.command()(serve)
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    result = CliRunner().invoke(app, ["--cert", str(cert)])
    assert isinstance(result.exception, ValidationError)
