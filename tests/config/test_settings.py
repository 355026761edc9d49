"""Settings come from the environment, fail loudly on bad values, and pass the deploy check."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import envbool, envint, envnetworks, envstr

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k" * 20 + "production-secret-with-enough-entropy-0123456789-abcdefghij",
    "ALLOWED_HOSTS": "chosa.example.go.jp",
    "DATABASE_URL": "postgres://portal@db.internal/portal",
    "REDIS_URL": "redis://redis.internal:6379/0",
}


def test_envbool_refuses_a_value_that_is_not_a_boolean(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="SOME_FLAG"):
        envbool("SOME_FLAG", default=False)


def test_envint_refuses_a_value_that_is_not_an_integer(monkeypatch):
    monkeypatch.setenv("SOME_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="SOME_NUMBER"):
        envint("SOME_NUMBER", default=1)


def test_envint_refuses_a_value_below_its_minimum(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXY_COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXY_COUNT must be at least 0"):
        envint("TRUSTED_PROXY_COUNT", 0, minimum=0)


@pytest.mark.parametrize("value", ["10.0.0.0/33", "proxy.internal", "10.0.0.1, nonsense", "::1/200"])
def test_envnetworks_refuses_anything_but_addresses_and_networks(monkeypatch, value):
    monkeypatch.setenv("TRUSTED_PROXIES", value)
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES must list IP addresses or networks"):
        envnetworks("TRUSTED_PROXIES", [])


def test_envnetworks_reads_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1, 172.16.0.0/12,2001:db8::/32")
    assert envnetworks("TRUSTED_PROXIES", []) == ["10.0.0.1/32", "172.16.0.0/12", "2001:db8::/32"]


def test_a_required_variable_missing_stops_the_start(monkeypatch):
    monkeypatch.delenv("NOT_SET_ANYWHERE", raising=False)
    with pytest.raises(ImproperlyConfigured, match="NOT_SET_ANYWHERE must be set"):
        envstr("NOT_SET_ANYWHERE")


def _manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env={**clean, **env},
                          capture_output=True, text=True, timeout=120)


def test_production_settings_pass_check_deploy():
    result = _manage("check", "--deploy", "--fail-level", "DEBUG", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env={**env, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_without_environment_the_portal_runs_on_sqlite_with_in_process_tasks():
    code = ("import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings';django.setup();"
            "from django.conf import settings as s;"
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND)")
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "CELERY_TASK_ALWAYS_EAGER"}}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert out.stdout.split() == ["django.db.backends.sqlite3", "True", "django.core.mail.backends.console.EmailBackend"]


def _portal_base_url(**env):
    code = ("import django,os;os.environ['DJANGO_SETTINGS_MODULE']='config.settings';django.setup();"
            "from django.conf import settings as s;print(s.PORTAL_BASE_URL)")
    clean = {k: v for k, v in os.environ.items() if k not in {"PORTAL_BASE_URL", "PORT", "DJANGO_SETTINGS_MODULE"}}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env}, capture_output=True,
                          text=True).stdout.strip()


def test_mail_links_follow_the_port_scripts_run_serves_on():
    assert _portal_base_url() == "http://127.0.0.1:8000"
    assert _portal_base_url(PORT="8080") == "http://127.0.0.1:8080"
    assert _portal_base_url(PORT="8080", PORTAL_BASE_URL="https://chosa.example.go.jp") == "https://chosa.example.go.jp"


def test_scripts_run_exports_the_port_it_serves_on():
    script = (ROOT / "scripts" / "run").read_text()
    assert 'export PORT="$port"' in script
    assert script.index('export PORT="$port"') < script.index('runserver "127.0.0.1:$port"')
