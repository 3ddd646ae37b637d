"""Settings come from the environment: defaults for one machine, fail-fast where a secret is missing."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
from qms.celery import app
conf = app.conf
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": conf.task_always_eager,
    "broker": conf.broker_url,
    "acks_late": conf.task_acks_late,
    "serializer": conf.task_serializer,
    "accept": list(conf.accept_content),
    "cors": settings.CORS_ALLOWED_ORIGINS,
    "registration": settings.REGISTRATION_ENABLED,
    "rates": settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
    "lockout": [settings.LOGIN_MAX_FAILED_ATTEMPTS, settings.LOGIN_LOCKOUT_MINUTES],
    "debug": settings.DEBUG,
    "databases": [[db["ENGINE"], db["USER"]] for db in (settings.DATABASES["default"], settings.DATABASE_OWNER) if db],
    "audit_checkpoint_dir": settings.AUDIT_CHECKPOINT_DIR,
    "beat": sorted(conf.beat_schedule),
}))
"""

# Variables that would leak from the test run into the probe.
_CLEARED = (
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "BACKEND_CORS_ORIGINS",
    "REGISTRATION_ENABLED",
    "THROTTLE_AUTH_RATE",
    "THROTTLE_USER_RATE",
    "SECRET_KEY",
    "DEBUG",
    "LOGIN_MAX_FAILED_ATTEMPTS",
    "LOGIN_LOCKOUT_MINUTES",
    "CELERY_TASK_ALWAYS_EAGER",
    "AUDIT_HMAC_KEY",
    "AUDIT_HMAC_OLD_KEYS",
    "AUDIT_CHECKPOINT_DIR",
    "DATABASE_OWNER_URL",
)


def probe(tmp_path, **env):
    environment = {k: v for k, v in os.environ.items() if k not in _CLEARED}
    environment.update(DJANGO_SETTINGS_MODULE="qms.settings", PYTHONPATH=str(BASE_DIR), **env)
    # Run from an empty folder so that a developer's .env does not change the outcome.
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{PROBE}"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result


@pytest.fixture(autouse=True)
def _no_dotenv():
    if (BASE_DIR / ".env").exists():
        pytest.skip("a .env file in the project folder would change the defaults under test")


def test_defaults_for_a_single_machine(tmp_path):
    result = probe(tmp_path, DEBUG="true")

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "qms.db.backends.sqlite3"
    assert values["db_name"] == str(BASE_DIR / "db.sqlite3")
    assert values["cache"].endswith("LocMemCache")
    assert values["eager"] is True
    assert values["acks_late"] is True
    assert values["serializer"] == "json"
    assert values["accept"] == ["json"]
    assert values["cors"] == ["http://localhost:3000"]
    assert values["registration"] is False
    assert values["rates"]["auth"] == "10/min"
    assert values["lockout"] == [5, 15]


def test_everything_is_configurable_from_the_environment(tmp_path):
    result = probe(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="x" * 50,
        AUDIT_HMAC_KEY="y" * 50,
        AUDIT_CHECKPOINT_DIR="/var/lib/qms/audit-checkpoints",
        DATABASE_URL="postgres://qms_app:secret@db.internal:5432/qms",
        DATABASE_OWNER_URL="postgres://qms_owner:secret@db.internal:5432/qms",
        REDIS_URL="redis://cache.internal:6379/2",
        BACKEND_CORS_ORIGINS="https://qms.example.com,https://portal.example.com",
        REGISTRATION_ENABLED="true",
        THROTTLE_AUTH_RATE="5/min",
        THROTTLE_USER_RATE="100/min",
        LOGIN_MAX_FAILED_ATTEMPTS="3",
        LOGIN_LOCKOUT_MINUTES="30",
    )

    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["engine"] == "qms.db.backends.postgresql"
    assert values["db_name"] == "qms"
    assert values["cache"].endswith("RedisCache")
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.internal:6379/2"
    assert values["cors"] == ["https://qms.example.com", "https://portal.example.com"]
    assert values["registration"] is True
    assert values["rates"]["auth"] == "5/min"
    assert values["rates"]["user"] == "100/min"
    assert values["lockout"] == [3, 30]
    assert values["debug"] is False
    # The application runs as a role that owns nothing; migrations use the owner's connection.
    assert values["databases"] == [["qms.db.backends.postgresql", "qms_app"], ["qms.db.backends.postgresql", "qms_owner"]]
    assert values["audit_checkpoint_dir"] == "/var/lib/qms/audit-checkpoints"
    assert "audit-checkpoint" in values["beat"]


def test_audit_key_is_required_when_debug_is_off_and_differs_from_the_secret_key(tmp_path):
    missing = probe(tmp_path, DEBUG="false", SECRET_KEY="x" * 50)
    same = probe(tmp_path, DEBUG="false", SECRET_KEY="x" * 50, AUDIT_HMAC_KEY="x" * 50)

    assert missing.returncode != 0 and "AUDIT_HMAC_KEY must be set when DEBUG is off" in missing.stderr
    assert same.returncode != 0 and "AUDIT_HMAC_KEY must differ from SECRET_KEY" in same.stderr


def test_secret_key_is_required_when_debug_is_off(tmp_path):
    result = probe(tmp_path, DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def _variables_read_by_settings() -> set[str]:
    import re

    source = (BASE_DIR / "qms" / "settings.py").read_text()
    return set(re.findall(r"""env\.\w+\(\s*["']([A-Z0-9_]+)["']""", source))


def test_env_example_documents_every_variable_the_settings_read():
    import re

    example = (BASE_DIR / ".env.example").read_text()
    listed = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", example, re.M))
    variables = _variables_read_by_settings()

    assert len(variables) > 40
    assert variables - listed == set()


def test_readme_configuration_table_lists_every_variable():
    readme = (BASE_DIR / "README.md").read_text()
    table = readme[readme.index("## Configuration") : readme.index("## Architecture")]

    missing = {name for name in _variables_read_by_settings() if f"`{name}`" not in table}

    assert missing == set()


def test_readme_opens_with_the_two_commands():
    lines = [line for line in (BASE_DIR / "README.md").read_text().splitlines() if line.strip()]

    assert lines[0] == "```sh"
    assert lines[1].startswith("make run")
    assert lines[2].startswith("make test")


def test_a_production_configuration_passes_check_deploy(tmp_path):
    """DEBUG off with a real secret: HTTPS redirect, HSTS and secure cookies are on by default."""
    import secrets

    # The test run's own DJANGO_ALLOW_ASYNC_UNSAFE (for the browser tests) is not a deployment's.
    environment = {k: v for k, v in os.environ.items() if k not in _CLEARED and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    environment.update(
        DJANGO_SETTINGS_MODULE="qms.settings",
        PYTHONPATH=str(BASE_DIR),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        AUDIT_HMAC_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="qms.example.com",
    )
    result = subprocess.run(
        [sys.executable, str(BASE_DIR / "manage.py"), "check", "--deploy", "--fail-level", "WARNING"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_https_settings_follow_debug_and_the_environment(tmp_path):
    code = (
        "from django.conf import settings as s; import json; print(json.dumps([s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD, s.SECURE_REDIRECT_EXEMPT]))"
    )

    def values(**env):
        environment = {k: v for k, v in os.environ.items() if k not in _CLEARED}
        environment.update(
            DJANGO_SETTINGS_MODULE="qms.settings", PYTHONPATH=str(BASE_DIR), SECRET_KEY="x" * 50, AUDIT_HMAC_KEY="y" * 50, **env
        )
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup()\n{code}"],
            cwd=tmp_path,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    assert values(DEBUG="false")[:4] == [True, 31_536_000, True, True]
    assert values(DEBUG="true")[:2] == [False, 0]
    # A deployment whose proxy already redirects and sends HSTS can turn both off.
    assert values(DEBUG="false", SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")[:2] == [False, 0]
    assert values(DEBUG="false")[4] == [r"^api/health/?$"]
