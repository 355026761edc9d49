"""The portal's URLs plus /bench/bare/ (bench.load.settings only)."""
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template import loader
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500  # noqa: F401
from config.urls import urlpatterns as portal_urlpatterns


@login_required
def bare(request):
    """Session auth and a small template: the least a signed-in page can cost on this stack.

    The portal's middleware runs as for every page; the template gets no context processors
    (they are the portal's own work, which this yardstick leaves out)."""
    return HttpResponse(loader.get_template("bench/bare.html").render({"name": request.user.name}))


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *portal_urlpatterns]
