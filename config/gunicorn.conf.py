"""gunicorn settings: scale out by adding processes here and machines behind the proxy."""
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
