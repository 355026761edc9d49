"""The load bench's bare view exists only under bench.load.settings, never in the portal's URLs."""
import pytest
from django.urls import Resolver404, resolve

from tests.cast import signed_in


def test_the_portal_does_not_serve_the_bench_bare_view():
    with pytest.raises(Resolver404):
        resolve("/bench/bare/")


def test_the_bench_urlconf_serves_it_behind_sign_in(client, sagamihara, settings):
    settings.ROOT_URLCONF = "bench.load.urls"
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [*settings.TEMPLATES[0]["DIRS"], settings.BASE_DIR / "bench/load/templates"]}]
    assert client.get("/bench/bare/").status_code == 302  # to the login page
    signed_in(client, sagamihara)
    page = client.get("/bench/bare/")
    assert page.status_code == 200
    assert "相模原 市郎 さん" in page.content.decode()
