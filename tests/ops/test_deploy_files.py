"""deploy/ stays in step with the code: every setting read from the environment is documented in
deploy/portal.env, the units start what exists, and nginx's upload limits cover the application's."""
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
ENV_FILE = ROOT / "deploy" / "portal.env"
READ = re.compile(r'env(?:str|int|bool|list|networks)\("([A-Z_0-9]+)"|os\.environ\.get\("([A-Z_0-9]+)"')


def _read_variables() -> set[str]:
    names = set()
    for path in [*(ROOT / "config").rglob("*.py"), *(ROOT / "survey").rglob("*.py"), *(ROOT / "aggregation").rglob("*.py")]:
        for match in READ.finditer(path.read_text(encoding="utf-8")):
            names.add(match.group(1) or match.group(2))
    return names | {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}


def _documented() -> set[str]:
    return set(re.findall(r"^#?([A-Z][A-Z_0-9]+)=", ENV_FILE.read_text(encoding="utf-8"), flags=re.M))


def test_every_environment_variable_the_code_reads_is_documented():
    missing = sorted(_read_variables() - _documented())
    assert not missing, f"add these to deploy/portal.env with their meaning and an example: {missing}"


def test_the_units_run_the_project_commands():
    units = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "deploy" / "systemd").glob("*.service")}
    assert "gunicorn -c config/gunicorn.conf.py config.wsgi" in units["chosa-portal-web.service"]
    assert "celery -A config worker" in units["chosa-portal-worker.service"]
    assert "celery -A config beat" in units["chosa-portal-beat.service"]
    assert all("EnvironmentFile=/etc/chosa-portal/portal.env" in text for text in units.values())
    assert "CELERY_CONCURRENCY=" in ENV_FILE.read_text(encoding="utf-8")


def _megabytes(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"client_max_body_size (\d+)m;", text)]


def test_nginx_lets_every_upload_the_application_accepts_through():
    site = (ROOT / "deploy" / "nginx" / "chosa-portal.conf").read_text(encoding="utf-8")
    default, bulk, attachments = _megabytes(site)
    assert default * 2**20 > settings.UPLOAD_MAX_BYTES
    assert bulk * 2**20 > settings.BULK_UPLOAD_MAX_BYTES
    assert attachments * 2**20 > settings.ATTACHMENT_REQUEST_MAX_BYTES
    assert "location = /manage/imports/" in site and "/attachments/upload/" in site
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in (ROOT / "deploy" / "nginx" / "chosa-portal-proxy.conf").read_text()
