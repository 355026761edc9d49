"""Upload hazards over real HTTP against a separate server process, with its time and peak memory.

Shared by tests/security/test_upload_hazards.py (asserts the bounds) and bench/upload_hazards.py
(prints the figures). The server is gunicorn (config/gunicorn.conf.py, one gthread worker) on a
free loopback port; its worker's peak RSS is VmHWM from /proc/PID/status, reset before each case
through /proc/PID/clear_refs (and, where the kernel refuses that, sampled every 10 ms).
Reader children (bounded by their own memory limit) are not the web process and not counted.
"""
from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
MB = 1 << 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


class PortalServer:
    """gunicorn serving the portal on 127.0.0.1 with `env` on top of this process's environment."""

    def __init__(self, env: dict[str, str], log_path: Path):
        self.env, self.log_path = env, log_path
        self.port = _free_port()
        self.process: subprocess.Popen | None = None
        self.worker_pid = 0

    def __enter__(self) -> PortalServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, wait: float = 90) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **self.env,
               "GUNICORN_BIND": f"127.0.0.1:{self.port}", "GUNICORN_WORKERS": "1"}
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "--worker-class", "gthread",
                 "--threads", "4", "--timeout", "120", "config.wsgi"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log_path}")
            try:
                if request(self, "GET", "/accounts/login/").status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        else:
            self.stop()
            raise RuntimeError(f"gunicorn did not answer within {wait} s; see {self.log_path}")
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        self.worker_pid = int(children[0])

    def stop(self) -> None:
        """Stop the server we started, by its process handle."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def rss_mb(self) -> float:
        return _status_kb(self.worker_pid, "VmRSS") / 1024

    def measure(self) -> Measure:
        return Measure(self)


class Measure:
    """Elapsed seconds and the worker's peak RSS over a `with` block."""

    def __init__(self, server: PortalServer):
        self.server = server
        self.seconds = 0.0
        self.peak_mb = 0.0
        self._sampled = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._reset = False

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._sampled = max(self._sampled, _status_kb(self.server.worker_pid, "VmRSS"))
            self._stop.wait(0.01)

    def __enter__(self) -> Measure:
        try:
            Path(f"/proc/{self.server.worker_pid}/clear_refs").write_text("5")  # resets VmHWM
            self._reset = True
        except OSError:
            self._reset = False
        self._thread.start()
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.monotonic() - self._started
        self._stop.set()
        self._thread.join()
        hwm = _status_kb(self.server.worker_pid, "VmHWM") if self._reset else 0
        self.peak_mb = max(hwm, self._sampled) / 1024


# --- HTTP -----------------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    body: str
    location: str = ""
    cookies: dict[str, str] = field(default_factory=dict)


def request(server: PortalServer, method: str, path: str, *, cookies: dict[str, str] | None = None,
            body=None, headers: dict[str, str] | None = None, timeout: float = 300) -> Reply:
    """One request (no redirect followed); `body` may be an iterable of chunks (sent as they come)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        sent = dict(headers or {})
        if cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        conn.request(method, path, body=body, headers=sent)
        response = conn.getresponse()
        data = response.read()
        jar = SimpleCookie()
        for value in response.headers.get_all("Set-Cookie") or []:
            jar.load(value)
        return Reply(response.status, data.decode("utf-8", "replace"), response.headers.get("Location", ""),
                     {k: m.value for k, m in jar.items()})
    finally:
        conn.close()


class Browser:
    """A signed-in user's cookies (session and CSRF), posting multipart forms and following one redirect."""

    def __init__(self, server: PortalServer, session_key: str):
        self.server = server
        self.csrf = uuid.uuid4().hex  # 32 characters: Django accepts an unmasked secret in the header
        self.cookies = {"sessionid": session_key, "csrftoken": self.csrf}

    def post_files(self, path: str, fields: dict[str, str], files: list[tuple[str, str, bytes | Path]]) -> Reply:
        """POST a multipart form, the files streamed from memory or disk; then GET the redirect, if any."""
        boundary = "----hazard" + uuid.uuid4().hex
        parts = list(_multipart(boundary, fields, files))
        length = sum(_size(p) for p in parts)
        headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Content-Length": str(length),
                   "X-CSRFToken": self.csrf, "Referer": f"http://127.0.0.1:{self.server.port}{path}"}
        reply = request(self.server, "POST", path, cookies=self.cookies, body=_chunks(parts), headers=headers)
        self.cookies.update(reply.cookies)
        if reply.status in (301, 302, 303) and reply.location:
            follow = request(self.server, "GET", urlsplit(reply.location).path, cookies=self.cookies)
            self.cookies.update(follow.cookies)
            follow.location = reply.location
            return follow
        return reply


def _multipart(boundary: str, fields: dict[str, str], files) -> Iterator[bytes | Path]:
    for name, value in fields.items():
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n').encode()
    for name, filename, data in files:
        yield (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
               "Content-Type: application/octet-stream\r\n\r\n").encode()
        yield data
        yield b"\r\n"
    yield f"--{boundary}--\r\n".encode()


def _size(part: bytes | Path) -> int:
    return part.stat().st_size if isinstance(part, Path) else len(part)


def _chunks(parts) -> Iterator[bytes]:
    for part in parts:
        if isinstance(part, Path):
            with open(part, "rb") as fh:
                while chunk := fh.read(256 * 1024):
                    yield chunk
        else:
            yield part


def session_key(user) -> str:
    """A session of `user` in the shared database, as the cast's `signed_in` makes it."""
    from django.test import Client

    from tests.cast import signed_in

    return signed_in(Client(), user).cookies["sessionid"].value


# --- the hazard cases ----------------------------------------------------------------------------

# What the server under test is started with (on top of the database and storage settings): the
# bulk bound lowered from 200 MB so the oversize case sends 41 MB, not 201 MB.
SERVER_ENV = {"BULK_UPLOAD_MAX_BYTES": str(40 * MB), "ATTACHMENT_QUOTA_FILES": "3", "REDIS_URL": "",
              "CELERY_TASK_ALWAYS_EAGER": "1", "LOG_LEVEL": "ERROR"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class Case:
    """One hostile upload: where it goes, as whom, the form, the files, and the Japanese text the
    answer (after its redirect) must contain; `seconds` and `peak_mb` are its bounds."""

    name: str
    url: str              # URL name (reversed with round_id and org_code where it takes them)
    role: str             # cast member who uploads
    files: object         # callable(tmp_path) -> list[(field, filename, bytes | Path)]
    expect: str
    fields: dict = field(default_factory=dict)
    seconds: float = 20.0
    peak_mb: float = 300.0


def _junk(size: int) -> bytes:
    return os.urandom(1024) * (size // 1024 + 1)


def _hostile():
    from tests.workbook import hostile_workbooks as hw

    return hw


def _zip_of(name: str, data: bytes) -> bytes:
    return _hostile().stored_zip({name: data})


def _attachments(tmp_path, sizes_mb: list[float]):
    return [("files", f"資料{n}.pdf", PDF + f"%{n}\n".encode() + b"0" * int(mb * MB)) for n, mb in enumerate(sizes_mb)]


def _big_file(tmp_path, name: str, size: int) -> Path:
    path = tmp_path / name
    with open(path, "wb") as fh:
        block = os.urandom(MB)
        for _ in range(size // MB):
            fh.write(block)
        fh.write(block[: size % MB])
    return path


def _many_parts_docx(parts: int) -> bytes:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", "<xml/>")
        archive.writestr("word/document.xml", "<xml/>")
        for n in range(parts):
            archive.writestr(f"{n:x}", "")
    return buffer.getvalue()


ATTACH = {"purpose": "procedure_document", "followup_key": ""}
CASES = [
    # the officer's answer-sheet upload
    Case("sheet: oversize file (10 MB + 1)", "sheet_upload", "sagamihara",
         lambda t: [("file", "回答.xlsx", _junk(10 * MB + 1))], "ファイルが大きすぎます"),
    Case("sheet: zip bomb (3 GB sheet part)", "sheet_upload", "sagamihara",
         lambda t: [("file", "回答.xlsx", _hostile().sheet_part_bomb_xlsx(3000))], "展開後のサイズが上限"),
    Case("sheet: 400 sheets of 1000 x 1000 (126 KB)", "sheet_upload", "sagamihara",
         lambda t: [("file", "回答.xlsx", _hostile().many_sheets_xlsx(400))], "シートが多すぎます"),
    Case("sheet: huge dimension (A1:XFD1048576)", "sheet_upload", "sagamihara",
         lambda t: [("file", "回答.xlsx", _hostile().many_sheets_xlsx(1, far="XFD1048576"))], "使用範囲が大きすぎます"),
    # attachments
    Case("attachment: oversize file (11 MB)", "attachment_upload", "sagamihara",
         lambda t: _attachments(t, [11]), "大きすぎます", ATTACH),
    Case("attachment: request over 30 MB (4 x 9 MB)", "attachment_upload", "sagamihara",
         lambda t: _attachments(t, [9, 9, 9, 9]), "一度に送信できるのは", ATTACH),
    Case("attachment: quota exceeded (4 files, quota 3)", "attachment_upload", "sagamihara",
         lambda t: _attachments(t, [0, 0, 0, 0]), "保存できる添付ファイルの上限", ATTACH),
    Case("attachment: zip bomb as .docx (2 GB part, never expanded)", "attachment_upload", "yokohama",
         lambda t: [("files", "爆弾.docx", _hostile().docx_bomb(2048))], "を添付しました", ATTACH),
    Case("attachment: .docx of 110,000 parts (9 MB)", "attachment_upload", "sagamihara",
         lambda t: [("files", "部品だらけ.docx", _many_parts_docx(110_000))], "は受け付けられない形式です", ATTACH),
    # the administrators' bulk import (the job runs in the web process: no Celery worker)
    Case("bulk: oversize upload (40 MB + 1 MB)", "sheet_imports", "admin",
         lambda t: [("files", "大きい.zip", _big_file(t, "big.zip", 41 * MB))], "アップロードが大きすぎます"),
    Case("bulk: zip bomb (2 GB entry)", "sheet_imports", "admin",
         lambda t: [("files", "返送.zip", _hostile().bomb_zip("bomb.xlsx", 2048))], "展開後のサイズが上限"),
    # each entry opens like a workbook, so all 297 MB are expanded to disk and read by the reader's
    # children (seconds of disk and CPU, hence the longer bound); the web process must stay small
    Case("bulk: 30 x 9.9 MB entries (306 KB zip)", "sheet_imports", "admin",
         lambda t: [("files", "返送.zip", _hostile().large_entries_zip(t / "large.zip"))],
         "ファイルが壊れているため読み取れません", seconds=60.0),
    Case("bulk: 30 x 9.9 MB entries of zeros", "sheet_imports", "admin",
         lambda t: [("files", "返送.zip", _hostile().large_entries_zip(t / "zeros.zip", head=b""))],
         "Excel（.xlsx・.xlsm・.xls）またはODS（.ods）のファイルではありません"),
    Case("bulk: 400-sheet workbook in a zip", "sheet_imports", "admin",
         lambda t: [("files", "返送.zip", _zip_of("多数.xlsx", _hostile().many_sheets_xlsx(400)))],
         "シートが多すぎます"),
    Case("bulk: huge-dimension workbook", "sheet_imports", "admin",
         lambda t: [("files", "広い.xlsx", _hostile().many_sheets_xlsx(1, far="XFD1048576"))], "使用範囲が大きすぎます"),
    # the administrators' officer CSV import
    Case("users CSV: oversize file (5 MB)", "manage_users_import", "admin",
         lambda t: [("file", "officers.csv", b"141500,name,a@example.jp\n" * (5 * MB // 26))],
         "ファイルが大きすぎます（1MBまで）"),
]
COVERED_URLS = {case.url for case in CASES}


def case_path(case: Case, round_id: int, org_code: str = "141500") -> str:
    from django.urls import reverse

    if case.url in ("sheet_upload", "attachment_upload"):
        return reverse(case.url, kwargs={"round_id": round_id, "org_code": "141003" if case.role == "yokohama"
                                         else org_code})
    return reverse(case.url)


def run_case(server: PortalServer, case: Case, browser: Browser, round_id: int, tmp_path: Path) -> tuple[Reply, Measure]:
    """Build the case's files (not measured), then POST them, measured."""
    files = case.files(tmp_path)
    with server.measure() as measured:
        reply = browser.post_files(case_path(case, round_id), case.fields, files)
    return reply, measured
