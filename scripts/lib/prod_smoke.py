"""The HTTP side of scripts/prod-smoke: a browser's requests against the production stack.

    .venv/bin/python scripts/lib/prod_smoke.py --node http://127.0.0.1:PORT_A --node http://127.0.0.1:PORT_B

Runs with the same environment as the servers (production settings, DATABASE_URL, REDIS_URL).
Every request goes over HTTP to a gunicorn node, alternating between the nodes, with the
headers the TLS proxy adds (Host, X-Forwarded-Proto: https) and the cookies a browser keeps:
sign in, answer and submit, import a returned sheet as an administrator, build the aggregate
workbook as a job and download it. The database is read only to check what the requests did
and to fill the questionnaire with a valid answer set (the project's own form helper, as the
tests do). Prints one line per step; exits non-zero at the first failure.
"""
from __future__ import annotations

import argparse
import http.client
import io
import itertools
import json
import os
import random
import re
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo-portal-2026"
OFFICER, ADMIN, MINISTRY = "sagamihara@demo.example.jp", "admin@demo.example.jp", "ministry@demo.example.jp"
IMPORTED_ORG = "141003"  # 横浜市: its sheet is returned and imported by the administrator
JOB_TIMEOUT = 180  # seconds


class SmokeFailure(Exception):
    pass


def step(text: str) -> None:
    print(f"[prod-smoke] ok   {text}", flush=True)


def check(condition: bool, text: str) -> None:
    if not condition:
        raise SmokeFailure(text)


class Browser:
    """Cookies, CSRF and the proxy's headers over plain HTTP to several nodes in turn."""

    def __init__(self, nodes: list[str], host: str, name: str):
        self.nodes = itertools.cycle(nodes)
        self.host = host
        self.name = name
        self.cookies: dict[str, str] = {}
        self.seen_nodes: set[str] = set()

    def request(self, method: str, path: str, body: bytes | None = None, content_type: str = "",
                expect: tuple[int, ...] = (200,)) -> tuple[int, dict, bytes]:
        node = next(self.nodes)
        parts = urlsplit(node)
        headers = {"Host": self.host, "X-Forwarded-Proto": "https", "User-Agent": "prod-smoke",
                   "X-Request-ID": f"smoke-{uuid.uuid4().hex[:16]}"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers.update({"Origin": f"https://{self.host}", "Referer": f"https://{self.host}{path}",
                            "Content-Type": content_type})
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                self._keep(value)
        answer = {k.lower(): v for k, v in response.getheaders()}
        check(response.status in expect,
              f"{self.name}: {method} {path} on {node} gave {response.status}, expected {expect}: {data[:300]!r}")
        check(answer.get("x-request-id") == headers["X-Request-ID"], f"{path}: request id not echoed")
        self.seen_nodes.add(node)
        return response.status, answer, data

    def _keep(self, header: str) -> None:
        pair, _, attributes = header.partition(";")
        name, _, value = pair.strip().partition("=")
        if "max-age=0" in attributes.lower() or value in ('""', ""):
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def csrf(self, html: bytes) -> str:
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        check(match is not None, f"{self.name}: no CSRF token in the page")
        return match.group(1).decode()

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, fields: dict | list, **kw):
        body = urlencode(fields, doseq=True).encode()
        return self.request("POST", path, body=body, content_type="application/x-www-form-urlencoded", **kw)

    def post_file(self, path: str, fields: dict, field: str, filename: str, data: bytes, **kw):
        boundary = uuid.uuid4().hex
        out = io.BytesIO()
        for key, value in fields.items():
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode())
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                  f"Content-Type: application/octet-stream\r\n\r\n".encode())
        out.write(data + f"\r\n--{boundary}--\r\n".encode())
        return self.request("POST", path, body=out.getvalue(), content_type=f"multipart/form-data; boundary={boundary}",
                            **kw)

    def sign_in(self, email: str) -> None:
        _, _, page = self.get("/accounts/login/")
        _, headers, _ = self.post("/accounts/login/", {"csrfmiddlewaretoken": self.csrf(page), "username": email,
                                                       "password": DEMO_PASSWORD}, expect=(302,))
        check(headers["location"] != "/accounts/login/", f"{email}: sign-in refused")
        if urlsplit(headers["location"]).path.startswith("/accounts/two-factor/"):
            self.second_factor(email, urlsplit(headers["location"]).path)
        _, _, home = self.get("/")
        check(b"/accounts/logout/" in home or "ログアウト".encode() in home, f"{email}: home is not signed in")

    def second_factor(self, email: str, path: str) -> None:
        """The code step (the demo administrator) or the first enrolment (the demo ministry account),
        with the code the demo's stand-in for a phone gives (manage.py demo_totp)."""
        from survey.services.demo import demo_totp_code

        _, _, page = self.get(path)  # the enrolment page makes the key it shows
        code, _ = demo_totp_code(email)
        self.post(path, {"csrfmiddlewaretoken": self.csrf(page), "code": code}, expect=(302,))
        step(f"{email}: second factor {'code' if path.endswith('/verify/') else 'enrolment'} accepted")


def _django():
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _respondent(org) -> dict:
    return {"組織区分": org.section_label, "組織名": org.display_name, "担当部署名": "福祉部 生活福祉課",
            "回答責任者役職": "生活福祉課長", "回答責任者氏名": "検証 太郎", "連絡先氏名": "検証 花子",
            "電話番号": "042-754-1111", "メールアドレス": "smoke@city.example.jp"}


def _job_status_path(location: str) -> str:
    """/jobs/<id>/status.json of the job page a start redirected to (one status URL for every kind)."""
    job_id = re.search(r"/(\d+)/$", urlsplit(location).path)
    check(job_id is not None, f"no job id in {location}")
    return f"/jobs/{job_id.group(1)}/status.json"


def _wait_for_job(browser: Browser, status_path: str) -> dict:
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        _, _, data = browser.get(status_path)
        state = json.loads(data)
        if state["status"] in ("done", "failed"):
            check(state["status"] == "done", f"{status_path}: job failed: {state.get('messages')}")
            return state
        time.sleep(0.5)
    raise SmokeFailure(f"{status_path}: job not done after {JOB_TIMEOUT}s (is a worker running?)")


def answer_and_submit(nodes, host) -> None:
    from survey.forms.answering import form_data
    from survey.models import Response, ResponseStatus, Round, RoundTarget, User
    from survey.synthetic import random_answers

    officer = User.objects.get(email=OFFICER)
    rnd = Round.objects.filter(targets__organization=officer.organization).order_by("-pk").first()
    target = RoundTarget.objects.select_related("round__survey", "organization").get(
        round=rnd, organization=officer.organization)
    browser = Browser(nodes, host, "officer")
    browser.sign_in(OFFICER)
    step(f"officer signs in ({OFFICER}) and sees the home page on the other node")
    base = f"/rounds/{rnd.pk}/orgs/{target.organization.code}/"
    _, _, page = browser.get(base + "edit/")
    response = Response.objects.filter(round=rnd, organization=target.organization).first()
    answers = random_answers(rnd.survey.engine, target.organization.engine_kind, random.Random(7))
    data = form_data(target, SimpleNamespace(answers=answers, respondent=_respondent(target.organization)),
                     response.revision if response else 0)
    fields = [(key, value) for key in data for value in data.getlist(key)]
    fields += [("csrfmiddlewaretoken", browser.csrf(page)), ("to_confirm", "1")]
    _, headers, _ = browser.post(base + "edit/", fields, expect=(302,))
    check(headers["location"].endswith("/confirm/"), f"save did not lead to the confirmation: {headers['location']}")
    step("officer answers every applicable question and saves (302 to the confirmation page)")
    _, _, page = browser.get(base + "confirm/")
    revision = re.search(rb'name="base_revision" value="(\d+)"', page)
    check(revision is not None, "no base_revision on the confirmation page")
    browser.post(base + "confirm/", {"csrfmiddlewaretoken": browser.csrf(page),
                                     "base_revision": revision.group(1).decode()}, expect=(302,))
    response = Response.objects.get(round=rnd, organization=target.organization)
    check(response.status == ResponseStatus.SUBMITTED, f"response not submitted: {response.status}")
    browser.get(base)
    step(f"officer submits; response {response.pk} is submitted as version {response.revision}")
    check(len(browser.seen_nodes) == 2, "the officer's requests did not reach both nodes")


def import_sheet(nodes, host) -> None:
    from survey.models import Organization, Round, RoundTarget, VersionSource
    from survey.services.sheets import sheet_context
    from survey.synthetic import random_answers
    from survey.workbook import write_answer_sheet

    org = Organization.objects.get(code=IMPORTED_ORG)
    rnd = Round.objects.filter(targets__organization=org).order_by("-pk").first()
    target = RoundTarget.objects.select_related("round__survey", "organization").get(round=rnd, organization=org)
    answers = random_answers(rnd.survey.engine, org.engine_kind, random.Random(11))
    sheet = write_answer_sheet(rnd.survey.engine, context=sheet_context(target), answers=answers,
                               respondent=_respondent(org))
    browser = Browser(nodes, host, "admin")
    browser.sign_in(ADMIN)
    _, _, page = browser.get("/manage/imports/")
    _, headers, _ = browser.post_file("/manage/imports/", {"csrfmiddlewaretoken": browser.csrf(page)}, "files",
                                      f"{org.name}.xlsx", sheet, expect=(302,))
    job_path = urlsplit(headers["location"]).path
    step(f"administrator uploads {org.name}'s returned sheet ({len(sheet)} bytes): job {job_path}")
    state = _wait_for_job(browser, _job_status_path(job_path))
    versions = target.round.responses.filter(organization=org, versions__source=VersionSource.BULK_IMPORT)
    check(versions.exists(), f"no imported version for {org.name}: {state}")
    step(f"a worker imported it: {org.name} has a bulk-import version ({state['messages'][-1]})")


def build_workbook(nodes, host) -> None:
    from survey.models import Round

    rnd = Round.objects.order_by("-pk").first()
    browser = Browser(nodes, host, "ministry")
    browser.sign_in(MINISTRY)
    _, _, page = browser.get(f"/aggregation/rounds/{rnd.pk}/exports/")
    _, headers, _ = browser.post(f"/aggregation/rounds/{rnd.pk}/exports/",
                                 {"csrfmiddlewaretoken": browser.csrf(page), "format": "xlsx"}, expect=(302,))
    job_path = urlsplit(headers["location"]).path
    step(f"ministry starts the aggregate workbook: job {job_path}")
    state = _wait_for_job(browser, _job_status_path(job_path))
    _, answer, data = browser.get(state["download_url"])
    check(data[:2] == b"PK" and "attachment" in answer.get("content-disposition", ""), "the download is no xlsx")
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    step(f"a worker built it; downloaded {len(data)} bytes, sheets: {', '.join(book.sheetnames[:4])}…")


def probes(nodes, host) -> None:
    for node in nodes:
        browser = Browser([node], host, "probe")
        _, _, body = browser.get("/healthz")
        check(json.loads(body)["status"] == "ok", f"{node}: /healthz")
        _, _, body = browser.get("/readyz")
        check(json.loads(body)["status"] == "ok", f"{node}: /readyz {body!r}")
    step(f"/healthz and /readyz answer 200 on {len(nodes)} nodes (database, Redis, worker, storage, disk)")
    from config.celery import app

    replies = app.control.ping(timeout=3)
    check(len(replies) >= 2, f"expected two workers to answer a ping, got {replies}")
    step(f"{len(replies)} Celery workers answer a ping: {', '.join(sorted(next(iter(r)) for r in replies))}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", action="append", required=True, help="base URL of a gunicorn node")
    parser.add_argument("--host", default=os.environ.get("SMOKE_HOST", "portal.test"))
    args = parser.parse_args()
    _django()
    try:
        probes(args.node, args.host)
        answer_and_submit(args.node, args.host)
        import_sheet(args.node, args.host)
        build_workbook(args.node, args.host)
    except SmokeFailure as exc:
        print(f"[prod-smoke] FAIL {exc}", file=sys.stderr, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
