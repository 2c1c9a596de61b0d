"""Security defaults of the production settings, read in a fresh interpreter."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = (
    "import json, config.settings as s; print(json.dumps({"
    "'debug': s.DEBUG, 'session_secure': s.SESSION_COOKIE_SECURE,"
    "'csrf_secure': s.CSRF_COOKIE_SECURE, 'hasher': s.PASSWORD_HASHERS[0],"
    "'middleware': s.MIDDLEWARE, 'channel': s.CHANNEL_LAYERS['default']['BACKEND'],"
    "'tasks': s.TASKS['default']['BACKEND'], 'email': s.EMAIL_BACKEND,"
    "'db': s.DATABASES['default']['ENGINE']}))"
)


def read_settings(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DEBUG",
            "SECRET_KEY",
            "SECURE_COOKIES",
            "DATABASE_URL",
            "REDIS_URL",
            "EMAIL_URL",
            "TASKS_BACKEND",
            "DJANGO_SETTINGS_MODULE",
        }
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_defaults_are_secure_and_embedded():
    result = read_settings(SECRET_KEY="from-the-environment")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["session_secure"] is True
    assert values["csrf_secure"] is True
    assert values["hasher"] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.middleware.csrf.CsrfViewMiddleware" in values["middleware"]
    assert values["channel"] == "channels.layers.InMemoryChannelLayer"
    assert values["tasks"] == "django_tasks_db.DatabaseBackend"
    assert values["email"] == "django.core.mail.backends.console.EmailBackend"
    assert values["db"] == "django.db.backends.sqlite3"


def test_without_a_secret_key_production_refuses_to_start():
    result = read_settings()
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_redis_url_switches_channel_layer():
    result = read_settings(SECRET_KEY="k", REDIS_URL="redis://127.0.0.1:6379/5")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["channel"] == "channels_redis.core.RedisChannelLayer"
