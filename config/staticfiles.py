"""The production static files storage: whitenoise's hashed, compressed files, URLs kept per process.

Every page asks for the URLs of the same few files (stylesheets, scripts, the icon) through
{% static %}; the hashed name comes from the manifest, read once when the process starts and not
changed while it runs (collectstatic runs at deploy time, before the servers start). Working the
URL out again (manifest lookup, URL splitting and quoting) cost about a tenth of a page's
template rendering, so each URL is kept once made.
"""
from django.conf import settings
from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFilesStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[tuple[str, bool], str] = {}

    def url(self, name, force=False):
        key = (name, force or not settings.DEBUG)  # with DEBUG the unhashed name is served
        found = self._urls.get(key)
        if found is None:
            found = self._urls[key] = super().url(name, force)
        return found
