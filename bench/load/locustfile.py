"""Deadline day as locust users (run by bench/load/run.py, which starts the stack and reads the output).

Users (pick them by class name on locust's command line):
- Officer: signs in, then goes round: opens the questionnaire, saves a draft (an incomplete answer
  set), saves the complete answers to go to the confirmation page, submits, opens the response;
  and again (corrections after submitting). A browser follows each redirect at once; between
  clicks the officer thinks 5–15 s.
- Ministry: signs in with password and TOTP code, then opens the dashboards (status, results,
  cross-tab, free texts, risk), thinking 5–15 s.
- Admin: signs in with TOTP and uploads one zip of returned sheets to the bulk import, then
  follows the job until it is done.
- OfficerNoThink / Bare: the saturation pair: the officer round without think time, and a
  signed-in officer fetching the bench's bare view (/bench/bare/) without think time.

Every request goes over HTTP to the nodes in turn (LOAD_NODES, as nginx's round robin), with the
headers the TLS proxy adds and the cookies a browser keeps (the production cookies are Secure, so
they are kept here rather than in requests' jar, which would not send them over plain HTTP).
Each request is recorded (time, category, status, milliseconds) and every save the portal
accepted (a redirect after the POST) is recorded with its organisation; all written as JSON to
LOAD_OUT when locust quits.
"""
from __future__ import annotations

import itertools
import json
import os
import re
import sys
import time
from pathlib import Path

from locust import HttpUser, LoadTestShape, between, constant, events, task

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.load.totp import totp  # noqa: E402

PLAN = json.loads(open(os.environ["LOAD_PLAN"], encoding="utf-8").read())
NODES = os.environ["LOAD_NODES"].split(",")
PHASE = os.environ.get("LOAD_PHASE", "deadline")
HOST = "portal.test"
PASSWORD = PLAN["password"]
DASHBOARDS = ["status", "results", "crosstab", "texts", "risk"]

RECORDS: list[list] = []  # [t, category, name, status, ms]
SAVES: list[list] = []  # [org, kind, t]
SIGNINS: list[list] = []  # [t, ok, ms of the whole sign-in]
NOTES: dict = {"import": None, "steps": []}
_officers = itertools.count()
_ministry = itertools.count()
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_REVISION = re.compile(r'name="base_revision" value="(\d+)"')


class Browser:
    def __init__(self, user: HttpUser, turn: int):
        self.client = user.client
        self.cookies: dict[str, str] = {}
        self.turn = turn

    def request(self, method: str, path: str, category: str, name: str, **kw):
        node = NODES[self.turn % len(NODES)]
        self.turn += 1
        headers = {"Host": HOST, "X-Forwarded-Proto": "https", "User-Agent": "load-bench"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers.update({"Origin": f"https://{HOST}", "Referer": f"https://{HOST}{path}"})
        started = time.time()
        status, text, location = 0, "", ""
        with self.client.request(method, node + path, headers=headers, allow_redirects=False, name=name,
                                 catch_response=True, timeout=120, **kw) as r:
            ms = (time.time() - started) * 1000
            status = r.status_code or 0
            text = r.text if status else ""
            location = r.headers.get("Location", "")
            for cookie in r.cookies:
                self.cookies[cookie.name] = cookie.value
            if status == 0 or (status >= 400 and status != 409):
                r.failure(f"{status}")
            else:
                r.success()
        RECORDS.append([started, category, name, status, round(ms, 1)])
        return status, text, location

    def csrf(self, html: str) -> str:
        m = _CSRF.search(html)
        return m.group(1) if m else ""

    def sign_in(self, email: str, totp_key: str | None = None) -> bool:
        started = time.time()
        _, page, _ = self.request("GET", "/accounts/login/", "login", "login page")
        status, _, location = self.request("POST", "/accounts/login/", "login", "login post", data={
            "csrfmiddlewaretoken": self.csrf(page), "username": email, "password": PASSWORD})
        ok = status == 302 and "/accounts/login/" not in location
        if ok and "/accounts/two-factor/" in location and totp_key:
            path = location.split(HOST, 1)[-1]
            _, page, _ = self.request("GET", path, "login", "two-factor page")
            status, _, location = self.request("POST", path, "login", "two-factor post", data={
                "csrfmiddlewaretoken": self.csrf(page), "code": totp(totp_key)})
            ok = status == 302
        SIGNINS.append([started, ok, round((time.time() - started) * 1000, 1)])
        return ok


class Officer(HttpUser):
    wait_time = between(5, 15)
    host = NODES[0]

    def on_start(self):
        n = next(_officers)
        self.me = PLAN["officers"][n % len(PLAN["officers"])]
        self.browser = Browser(self, n)
        self.signed_in = self.browser.sign_in(self.me["email"])
        if self.signed_in:
            self.browser.request("GET", "/", "page", "home")
        self.steps = itertools.cycle([self.open_edit, self.save_draft, self.save_complete, self.submit])
        self.revision, self.token = "0", ""

    def _page(self, path: str, name: str) -> str:
        _, html, _ = self.browser.request("GET", path, "page", name)
        m = _REVISION.search(html)
        if m:
            self.revision = m.group(1)
        self.token = self.browser.csrf(html) or self.token
        return html

    @task
    def next_step(self):
        if not self.signed_in:
            self.signed_in = self.browser.sign_in(self.me["email"])
            return
        next(self.steps)()

    def open_edit(self):
        self._page(self.me["base"] + "edit/", "edit page")

    def _save(self, fields: list, name: str, extra: list) -> tuple[int, str, str]:
        data = [*fields, ("base_revision", self.revision), ("csrfmiddlewaretoken", self.token), *extra]
        status, html, location = self.browser.request("POST", self.me["base"] + "edit/", "save", name, data=data)
        if status == 302 or (status == 400 and "下書きとして保存しました" in html):
            SAVES.append([self.me["org"], name, time.time()])
        return status, html, location

    def save_draft(self):
        status, _, _ = self._save(self.me["draft"], "save draft", [])
        if status == 302:
            self._page(self.me["base"] + "edit/", "edit page")

    def save_complete(self):
        status, _, location = self._save(self.me["full"], "save to confirm", [("to_confirm", "1")])
        if status == 302 and location.endswith("/confirm/"):
            self._page(self.me["base"] + "confirm/", "confirm page")

    def submit(self):
        status, _, _ = self.browser.request("POST", self.me["base"] + "confirm/", "save", "submit", data={
            "csrfmiddlewaretoken": self.token, "base_revision": self.revision})
        if status == 302:
            SAVES.append([self.me["org"], "submit", time.time()])
            self._page(self.me["base"], "response page")


class OfficerNoThink(Officer):
    wait_time = constant(0)


class Bare(HttpUser):
    wait_time = constant(0)
    host = NODES[0]

    def on_start(self):
        n = next(_officers)
        self.browser = Browser(self, n)
        self.browser.sign_in(PLAN["officers"][n % len(PLAN["officers"])]["email"])

    @task
    def bare(self):
        self.browser.request("GET", "/bench/bare/", "bare", "bare view")


class Ministry(HttpUser):
    wait_time = between(5, 15)
    host = NODES[0]
    fixed_count = int(os.environ.get("LOAD_MINISTRY", "5"))

    def on_start(self):
        n = next(_ministry)
        self.browser = Browser(self, n)
        self.signed_in = self.browser.sign_in(PLAN["ministry"][n % len(PLAN["ministry"])], PLAN["totp_key"])
        self.pages = itertools.cycle(DASHBOARDS)

    @task
    def dashboard(self):
        if self.signed_in:
            page = next(self.pages)
            self.browser.request("GET", f"/aggregation/rounds/{PLAN['round']}/{page}/", "dashboard", page)


class Admin(HttpUser):
    wait_time = constant(5)
    host = NODES[0]
    fixed_count = 1

    def on_start(self):
        self.browser = Browser(self, 0)
        # Sign in after the ministry staff's codes: each device takes a code once per 30-s step.
        self.signed_in = self.browser.sign_in(PLAN["admin"], PLAN["totp_key"])
        self.job = None

    @task
    def bulk_import(self):
        if not self.signed_in or (NOTES["import"] or {}).get("status") in ("done", "failed"):
            return
        if self.job is None:
            _, page, _ = self.browser.request("GET", "/manage/imports/", "page", "imports page")
            data = open(os.environ["LOAD_ZIP"], "rb").read()
            started = time.time()
            status, _, location = self.browser.request(
                "POST", "/manage/imports/", "import", "bulk upload", data={"csrfmiddlewaretoken": self.browser.csrf(page)},
                files={"files": ("返送分.zip", data, "application/zip")})
            job = re.search(r"/(\d+)/$", location)
            self.job = job.group(1) if status == 302 and job else ""
            NOTES["import"] = {"started": started, "status": "started" if self.job else f"refused {status}",
                               "bytes": len(data)}
            return
        if self.job:
            status, text, _ = self.browser.request("GET", f"/jobs/{self.job}/status.json", "import", "job status")
            if status == 200:
                state = json.loads(text)
                if state["status"] in ("done", "failed"):
                    NOTES["import"].update(status=state["status"], finished=time.time(),
                                           message=(state.get("messages") or [""])[-1])


if PHASE == "ramp":
    class StepRamp(LoadTestShape):
        """Officers in steps (LOAD_STEPS users, each held LOAD_STEP_SECONDS), arriving 20 a second."""

        steps = [int(s) for s in os.environ["LOAD_STEPS"].split(",")]
        hold = float(os.environ["LOAD_STEP_SECONDS"])

        def tick(self):
            t = self.get_run_time()
            i = int(t // self.hold)
            if i >= len(self.steps):
                return None
            if not NOTES["steps"] or NOTES["steps"][-1][0] != self.steps[i]:
                NOTES["steps"].append([self.steps[i], time.time()])
            return self.steps[i], 20


@events.quitting.add_listener
def _write(environment, **kw):
    with open(os.environ["LOAD_OUT"], "w", encoding="utf-8") as out:
        json.dump({"records": RECORDS, "saves": SAVES, "signins": SIGNINS, "notes": NOTES}, out)
