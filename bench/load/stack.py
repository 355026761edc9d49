"""The two-node production stack on loopback, as scripts/prod-smoke starts it, under Python's control.

A throwaway PostgreSQL 15 and Redis (scripts/lib/services.sh: start_postgres, start_redis, and
its watchdog that removes them if this process dies), one private file store in a temporary
folder, two gunicorn nodes (config/gunicorn.conf.py, production settings plus the bench's bare
view: bench.load.settings), two Celery workers (concurrency 1) and Celery beat, with the
environment prod-smoke gives them. Unlike the shell script, this keeps every process at hand so
that the load bench can read their CPU time and the fault scripts can kill and restart them.

    with Stack(log_dir) as stack:
        stack.start()
        stack.nodes        # ["http://127.0.0.1:PORT_A", "http://127.0.0.1:PORT_B"]
        stack.kill_worker(0); stack.start_worker(0)
        stack.restart_postgres(down_seconds=5); stack.restart_redis(down_seconds=5)
"""
from __future__ import annotations

import http.client
import os
import secrets
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "portal.test"
PY = str(ROOT / ".venv" / "bin" / "python")


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    def __init__(self, log_dir: Path, *, web_workers: int = 5, settings: str = "bench.load.settings",
                 private_mount_mb: int = 0):
        self.log_dir = Path(log_dir)
        self.disk_mb = private_mount_mb  # the private store on a tmpfs of this size (root only); 0: a folder
        self.web_workers = web_workers
        self.settings = settings
        self.services: dict[str, str] = {}
        self.work = Path(tempfile.mkdtemp(prefix="chosa-load."))
        self.web: list[subprocess.Popen | None] = [None, None]
        self.ports = [free_port(), free_port()]
        self.workers: list[subprocess.Popen | None] = [None, None]
        self.beat: subprocess.Popen | None = None
        self.watchdog: subprocess.Popen | None = None

    # -- services ------------------------------------------------------------------------------
    def _bash(self, script: str) -> str:
        prelude = ". scripts/lib/system-packages.sh; . scripts/lib/services.sh; "
        done = subprocess.run(["bash", "-c", prelude + script], cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"bash failed: {script}\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start_services(self) -> None:
        out = self._bash("ensure_system_packages >/dev/null; start_postgres; start_redis; "
                         "for v in DATABASE_URL REDIS_URL SERVICES_PG_DIR SERVICES_PG_USER SERVICES_REDIS_DIR; "
                         "do echo \"$v=${!v}\"; done")
        for line in out.splitlines():
            key, sep, value = line.partition("=")
            if sep and key.isupper():
                self.services[key] = value
        s = self.services
        self.watchdog = subprocess.Popen(
            ["bash", "scripts/lib/services.sh", "watch", str(os.getpid()), s["SERVICES_PG_DIR"],
             s["SERVICES_PG_USER"], s["SERVICES_REDIS_DIR"]], cwd=ROOT, stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in {"DEBUG", "SENTRY_DSN", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
        env.update({
            "DATABASE_URL": self.services["DATABASE_URL"], "REDIS_URL": self.services["REDIS_URL"],
            "DJANGO_SETTINGS_MODULE": self.settings, "SECRET_KEY": self._secret(),
            "ALLOWED_HOSTS": HOST, "PORTAL_BASE_URL": f"https://{HOST}",
            "PRIVATE_STORAGE_ROOT": str(self.work / "private"), "STATIC_ROOT": str(self.work / "static"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "CELERY_TASK_ALWAYS_EAGER": "0", "LOG_LEVEL": "WARNING",
            "READY_MIN_FREE_DISK_MB": str(min(100, self.disk_mb // 4) if self.disk_mb else 100),
            "GUNICORN_WORKERS": str(self.web_workers), "PYTHONPATH": str(ROOT),
        })
        return env

    def _secret(self) -> str:
        if not hasattr(self, "_secret_key"):
            self._secret_key = "load-" + secrets.token_urlsafe(48)
        return self._secret_key

    def manage(self, *args: str, log: str) -> None:
        with open(self.log_dir / f"{log}.log", "w") as out:
            subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=self.env(), stdout=out, stderr=subprocess.STDOUT,
                           check=True)

    # -- processes -----------------------------------------------------------------------------
    def _spawn(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        out = open(self.log_dir / f"{name}.log", "a")  # noqa: SIM115 (kept open for the process' life)
        return subprocess.Popen(argv, cwd=ROOT, env=env or self.env(), stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    def start_node(self, i: int) -> None:
        env = {**self.env(), "GUNICORN_BIND": f"127.0.0.1:{self.ports[i]}"}
        self.web[i] = self._spawn(f"node-{'ab'[i]}", [str(ROOT / ".venv/bin/gunicorn"), "-c",
                                                      "config/gunicorn.conf.py", "config.wsgi"], env)

    def start_worker(self, i: int) -> None:
        self.workers[i] = self._spawn(f"worker-{i + 1}", [str(ROOT / ".venv/bin/celery"), "-A", "config", "worker",
                                                          "-n", f"worker{i + 1}@%h", "--concurrency=1",
                                                          "--loglevel=INFO"])

    def start_beat(self) -> None:
        self.beat = self._spawn("beat", [str(ROOT / ".venv/bin/celery"), "-A", "config", "beat",
                                         f"--schedule={self.work}/celerybeat-schedule", "--loglevel=INFO"])

    @property
    def nodes(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.ports]

    def ready(self, i: int, path: str = "/readyz") -> int:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.ports[i], timeout=10)
            conn.request("GET", path, headers={"Host": HOST})
            status = conn.getresponse().status
            conn.close()
            return status
        except OSError:
            return 0

    def wait_ready(self, i: int, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ready(i) == 200:
                return
            time.sleep(0.5)
        raise RuntimeError(f"node {i} on port {self.ports[i]} not ready; see {self.log_dir}")

    def start(self, *, seed_responses: int = 0) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        if self.disk_mb:
            private = self.work / "private"
            private.mkdir()
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.disk_mb}m,mode=0700", "tmpfs", str(private)],
                           check=True)
        for old in self.log_dir.glob("*.log"):
            old.unlink()
        t0 = time.monotonic()
        self.start_services()
        say(f"[stack] PostgreSQL {self.services['DATABASE_URL']}, Redis {self.services['REDIS_URL']}")
        self.manage("migrate", "--noinput", log="migrate")
        self.manage("collectstatic", "--noinput", log="collectstatic")
        self.manage("seed_demo", "--responses", str(seed_responses), log="seed")
        for i in (0, 1):
            self.start_node(i)
            self.start_worker(i)
        self.start_beat()
        for i in (0, 1):
            self.wait_ready(i)
        say(f"[stack] two gunicorn nodes ({self.web_workers} sync workers each) on {', '.join(self.nodes)}, "
            f"two Celery workers and beat [{time.monotonic() - t0:.0f}s]; logs in {self.log_dir}")

    # -- faults --------------------------------------------------------------------------------
    def kill_group(self, proc: subprocess.Popen | None, sig: int = signal.SIGKILL) -> None:
        """Signal the process and everything it started (its own session)."""
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()

    def _pg(self, action: str) -> None:
        s = self.services
        self._bash(f"SERVICES_PG_USER={shlex.quote(s['SERVICES_PG_USER'])}; "
                   f"_as_pg_user \"$(pg_bin_dir)/pg_ctl\" {action} --wait --timeout=60 "
                   f"--pgdata={shlex.quote(s['SERVICES_PG_DIR'])}/data "
                   f"--log={shlex.quote(s['SERVICES_PG_DIR'])}/postgres.log >/dev/null")

    def stop_postgres(self) -> None:
        self._pg("stop --mode=fast")

    def start_postgres(self) -> None:
        """Starts the cluster again with the options it had (pg_ctl keeps them in postmaster.opts)."""
        words = shlex.split((Path(self.services["SERVICES_PG_DIR"]) / "data" / "postmaster.opts").read_text())[1:]
        opts = [w for i, w in enumerate(words) if w != "-D" and (i == 0 or words[i - 1] != "-D")]
        self._pg(f"start --options={shlex.quote(shlex.join(opts))}")

    def redis_port(self) -> str:
        return self.services["REDIS_URL"].rsplit(":", 1)[1].split("/")[0]

    def stop_redis(self) -> None:
        subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", self.redis_port(), "shutdown", "nosave"],
                       capture_output=True, check=False)
        pidfile = Path(self.services["SERVICES_REDIS_DIR"]) / "redis.pid"
        for _ in range(100):
            if not pidfile.exists():
                break
            time.sleep(0.1)

    def start_redis(self) -> None:
        d = self.services["SERVICES_REDIS_DIR"]
        subprocess.run(["redis-server", "--bind", "127.0.0.1", "--port", self.redis_port(), "--save", "",
                        "--appendonly", "no", "--dir", d, "--daemonize", "yes", "--pidfile", f"{d}/redis.pid",
                        "--logfile", f"{d}/redis.log"], capture_output=True, check=True)
        for _ in range(100):
            ping = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", self.redis_port(), "ping"],
                                  capture_output=True, text=True, check=False)
            if ping.stdout.strip() == "PONG":
                return
            time.sleep(0.1)
        raise RuntimeError("redis did not come back")

    # -- CPU -----------------------------------------------------------------------------------
    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds so far of the web nodes (masters, their live workers and the workers they
        reaped), the Celery processes and PostgreSQL."""
        import psutil

        def tree(pid: int) -> float:
            try:
                root = psutil.Process(pid)
                t = root.cpu_times()
                total = t.user + t.system + t.children_user + t.children_system
                for child in root.children(recursive=True):
                    try:
                        c = child.cpu_times()
                        total += c.user + c.system
                    except psutil.NoSuchProcess:
                        pass
                return total
            except psutil.NoSuchProcess:
                return 0.0

        out = {"web": sum(tree(p.pid) for p in self.web if p and p.poll() is None),
               "celery": sum(tree(p.pid) for p in [*self.workers, self.beat] if p and p.poll() is None)}
        pidfile = Path(self.services.get("SERVICES_PG_DIR", "/nonexistent")) / "data" / "postmaster.pid"
        out["postgres"] = tree(int(pidfile.read_text().split()[0])) if pidfile.exists() else 0.0
        return out

    # -- stop ----------------------------------------------------------------------------------
    def stop(self) -> None:
        for proc in [*self.web, *self.workers, self.beat]:
            if proc is not None and proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for proc in [*self.web, *self.workers, self.beat]:
            if proc is not None:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    self.kill_group(proc)
        if self.services:
            s = self.services
            self._bash(f"SERVICES_PG_DIR={shlex.quote(s['SERVICES_PG_DIR'])}; "
                       f"SERVICES_PG_USER={shlex.quote(s['SERVICES_PG_USER'])}; "
                       f"SERVICES_REDIS_DIR={shlex.quote(s['SERVICES_REDIS_DIR'])}; stop_services")
            self.services = {}
        if self.disk_mb:
            subprocess.run(["umount", str(self.work / "private")], check=False)
        subprocess.run(["rm", "-rf", str(self.work)], check=False)

    def __enter__(self) -> Stack:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def django_setup(stack: Stack) -> None:
    """Use the stack's database from this process (reads and checks; the setup's bulk writes)."""
    os.environ.update({k: v for k, v in stack.env().items() if k not in os.environ or k in {
        "DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS", "PRIVATE_STORAGE_ROOT",
        "STATIC_ROOT", "CELERY_TASK_ALWAYS_EAGER", "LOG_LEVEL", "PORTAL_BASE_URL", "EMAIL_BACKEND"}})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
