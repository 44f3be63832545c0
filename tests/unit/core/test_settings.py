"""Settings: embedded defaults, TOML < env < code, secrets redacted, bad values named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from finmon.core.errors import ValidationError
from finmon.core.settings import Settings, load_settings, redact_url


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No FINMON_* variables and an empty working directory, whatever the host has."""
    for name in list(os.environ):
        if name.startswith("FINMON_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problem_fields(error: ValidationError) -> set[str]:
    return {p.field for p in error.problems}


def test_defaults_run_everything_embedded_in_dot_finmon() -> None:
    settings = load_settings()
    assert settings.data_dir == Path(".finmon")
    assert settings.log_store == "sqlite"
    assert settings.postgres_url is None
    assert settings.redis_url is None
    assert settings.nats_url is None
    assert settings.checkpoint_interval == 1024
    assert settings.signing_key_path is None
    assert settings.log_path == Path(".finmon/events.db")
    assert settings.resolved_signing_key_path == Path(".finmon/keys/log-signing.key")


def test_env_vars_set_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINMON_DATA_DIR", "/srv/finmon")
    monkeypatch.setenv("FINMON_CHECKPOINT_INTERVAL", "16")
    monkeypatch.setenv("FINMON_LOG_STORE", "postgres")
    monkeypatch.setenv("FINMON_POSTGRES_URL", "postgresql://db/finmon")
    settings = load_settings()
    assert settings.data_dir == Path("/srv/finmon")
    assert settings.log_path == Path("/srv/finmon/events.db")
    assert settings.resolved_signing_key_path == Path("/srv/finmon/keys/log-signing.key")
    assert settings.checkpoint_interval == 16
    assert settings.log_store == "postgres"


def test_explicit_signing_key_path_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINMON_SIGNING_KEY_PATH", "/keys/k.key")
    assert load_settings().resolved_signing_key_path == Path("/keys/k.key")


def test_toml_file_in_cwd_is_read(clean_env: Path) -> None:
    (clean_env / "finmon.toml").write_text('data_dir = "state"\ncheckpoint_interval = 8\n')
    settings = load_settings()
    assert settings.data_dir == Path("state")
    assert settings.checkpoint_interval == 8


def test_precedence_is_code_then_env_then_file(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_env / "finmon.toml").write_text('data_dir = "from-file"\ncheckpoint_interval = 8\n')
    monkeypatch.setenv("FINMON_DATA_DIR", "from-env")
    settings = load_settings()
    assert settings.data_dir == Path("from-env")
    assert settings.checkpoint_interval == 8
    assert load_settings(data_dir=Path("from-code")).data_dir == Path("from-code")


def test_finmon_config_names_another_file(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (clean_env / "finmon.toml").write_text("checkpoint_interval = 8\n")
    other = clean_env / "etc" / "other.toml"
    other.parent.mkdir()
    other.write_text("checkpoint_interval = 99\n")
    monkeypatch.setenv("FINMON_CONFIG", str(other))
    assert load_settings().checkpoint_interval == 99


def test_a_missing_named_config_file_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINMON_CONFIG", "nowhere.toml")
    with pytest.raises(ValidationError, match="nowhere.toml") as caught:
        load_settings()
    assert caught.value.field == "config"


def test_malformed_toml_is_an_error(clean_env: Path) -> None:
    (clean_env / "finmon.toml").write_text("checkpoint_interval = = 3\n")
    with pytest.raises(ValidationError, match="not valid TOML") as caught:
        load_settings()
    assert caught.value.field == "config"


@pytest.mark.parametrize(
    ("var", "value", "field", "code"),
    [
        ("FINMON_CHECKPOINT_INTERVAL", "abc", "checkpoint_interval", "int_parsing"),
        ("FINMON_CHECKPOINT_INTERVAL", "0", "checkpoint_interval", "greater_than"),
        ("FINMON_CHECKPOINT_INTERVAL", "-5", "checkpoint_interval", "greater_than"),
        ("FINMON_LOG_STORE", "mysql", "log_store", "literal_error"),
    ],
)
def test_bad_env_values_name_the_field(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, field: str, code: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ValidationError) as caught:
        load_settings()
    error = caught.value
    assert error.field == field
    assert [(p.field, p.code) for p in error.problems] == [(field, code)]
    assert var in error.problems[0].reason
    assert repr(value) in error.problems[0].reason


def test_every_bad_field_is_reported_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINMON_CHECKPOINT_INTERVAL", "abc")
    monkeypatch.setenv("FINMON_LOG_STORE", "mysql")
    with pytest.raises(ValidationError) as caught:
        load_settings()
    assert problem_fields(caught.value) == {"checkpoint_interval", "log_store"}


def test_unknown_keys_in_the_file_are_refused(clean_env: Path) -> None:
    (clean_env / "finmon.toml").write_text("chekpoint_interval = 8\n")
    with pytest.raises(ValidationError) as caught:
        load_settings()
    assert caught.value.field == "chekpoint_interval"
    assert caught.value.problems[0].code == "extra_forbidden"


def test_unknown_override_is_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        load_settings(colour="blue")
    assert caught.value.field == "colour"


def test_postgres_store_needs_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINMON_LOG_STORE", "postgres")
    with pytest.raises(ValidationError) as caught:
        load_settings()
    assert caught.value.field == "postgres_url"


def test_direct_construction_also_raises_finmon_errors() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(checkpoint_interval=0)
    assert caught.value.field == "checkpoint_interval"


def test_settings_are_immutable() -> None:
    settings = load_settings()
    with pytest.raises(Exception, match="frozen"):
        settings.checkpoint_interval = 5


SECRET_URLS = {
    "postgres_url": "postgresql://finmon:s3cret@db:5432/finmon?sslmode=require",
    "redis_url": "redis://:hunter2@cache:6379/0",
    "nats_url": "nats://t0ken@bus:4222",
}


def test_redacted_hides_passwords_but_keeps_the_rest() -> None:
    settings = load_settings(**SECRET_URLS)
    data = settings.redacted()
    assert data["postgres_url"] == "postgresql://finmon:***@db:5432/finmon?sslmode=require"
    assert data["redis_url"] == "redis://:***@cache:6379/0"
    assert data["nats_url"] == "nats://***@bus:4222"
    assert data["data_dir"] == ".finmon"
    assert data["log_path"] == str(Path(".finmon/events.db"))
    assert data["resolved_signing_key_path"] == str(Path(".finmon/keys/log-signing.key"))
    assert settings.postgres_url == SECRET_URLS["postgres_url"]


def test_repr_never_shows_passwords() -> None:
    text = repr(load_settings(**SECRET_URLS)) + str(load_settings(**SECRET_URLS))
    for secret in ("s3cret", "hunter2", "t0ken"):
        assert secret not in text
    assert "postgresql://finmon:***@db" in text


def test_errors_never_echo_secret_values() -> None:
    with pytest.raises(ValidationError) as caught:
        load_settings(postgres_url=["postgresql://u:s3cret@h/db"])
    assert "s3cret" not in str(caught.value.to_dict())


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:pw@h/db", "postgresql://u:***@h/db"),
        ("postgresql://u@h/db", "postgresql://u@h/db"),
        (
            "postgresql://h/db?user=u&password=pw&sslmode=x",
            "postgresql://h/db?user=u&password=***&sslmode=x",
        ),
        ("host=h dbname=d password=pw", "host=h dbname=d password=***"),
        ("host=h password='p w' user=u", "host=h password=*** user=u"),
        ("redis://h:6379", "redis://h:6379"),
        ("http://[::1", "***"),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


def test_redact_url_treats_a_lone_user_as_a_token_when_asked() -> None:
    assert redact_url("nats://tok@h") == "nats://tok@h"
    assert redact_url("nats://tok@h", user_is_secret=True) == "nats://***@h"
