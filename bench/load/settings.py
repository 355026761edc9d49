"""Production settings plus the bench's bare view (bench/load only; never the portal's own).

The load bench starts gunicorn with DJANGO_SETTINGS_MODULE=bench.load.settings so that the same
stack (middleware, sessions in PostgreSQL, DEBUG off) also serves /bench/bare/: a signed-in page
that reads the session and the user and renders a small template, nothing else. Its throughput
is the yardstick the portal's own pages are compared with. config.settings.production does not
know this module, so the bare view is not reachable in a deployment.
"""
from config.settings.production import *  # noqa: F401,F403
from config.settings.production import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.load.urls"
TEMPLATES = [{**TEMPLATES[0], "DIRS": [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "load" / "templates"]}]
