"""The client address comes from the deployment's configuration, never from the client.

Without trusted proxies the address is REMOTE_ADDR and X-Forwarded-For is ignored; with
TRUSTED_PROXY_COUNT or TRUSTED_PROXIES it is the right-most hop that is not a trusted proxy.
A forwarded header that is not a list of addresses is ignored: never a 500, and the failed
login is still counted and audited.
"""
import pytest
from django.test import RequestFactory

from survey.client_ip import client_ip, client_ip_for_limits
from survey.models import AuditLog
from tests.cast import BROWSER

A = AuditLog.Action
WRONG = "wrong-password-123"
GARBAGE = [
    "not-an-ip",
    "999.1.1.1",
    "' OR 1=1 --",
    "198.51.100.9:8080",
    "fe80::1%eth0",
    "1.2.3.4, " * 2000,  # 18 KB of hops
    "\u202e198.51.100.9",
    ",,,",
]


def _request(remote="203.0.113.7", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


# --- the one function ------------------------------------------------------------------------


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert client_ip(_request(forwarded="198.51.100.9")) == "203.0.113.7"


def test_one_trusted_proxy_gives_the_hop_it_appended(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.2", "192.0.2.66, 198.51.100.9")) == "198.51.100.9"


def test_two_trusted_proxies_give_the_second_hop_from_the_right(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request("10.0.0.2", "192.0.2.66, 198.51.100.9, 10.0.0.3")) == "198.51.100.9"


def test_a_trusted_proxy_without_a_forwarded_header_gives_remote_addr(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.2")) == "10.0.0.2"


def test_trusted_proxy_networks_skip_every_proxy_hop(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "2001:db8:ffff::/48"]
    request = _request("10.0.0.2", "192.0.2.66, 198.51.100.9, 2001:db8:ffff::7, 10.1.2.3")
    assert client_ip(request) == "198.51.100.9"


def test_a_peer_outside_the_trusted_networks_is_the_client_whatever_it_forwards(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(_request("198.51.100.200", "10.0.0.9")) == "198.51.100.200"


def test_addresses_are_returned_in_canonical_form(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.2", " 2001:DB8:0:0::1 ")) == "2001:db8::1"


@pytest.mark.parametrize("forwarded", GARBAGE)
def test_a_malformed_forwarded_hop_is_ignored(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.2", forwarded)) in {"10.0.0.2", "1.2.3.4"}


def test_garbage_left_of_the_trusted_hops_is_never_read(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request("10.0.0.2", "<script>, not-an-ip, 198.51.100.9")) == "198.51.100.9"


def test_limits_count_an_ipv6_address_by_its_64_and_ipv4_as_is():
    assert client_ip_for_limits(_request("2001:db8:1:2:3:4:5:6")) == "2001:db8:1:2::"
    assert client_ip_for_limits(_request("203.0.113.7")) == "203.0.113.7"
    assert client_ip_for_limits(_request("unix:/run/gunicorn.sock")) is None


def test_a_remote_addr_that_is_not_an_address_gives_none():
    assert client_ip(_request(remote="unix:/run/gunicorn.sock")) is None
    assert client_ip(None) is None


# --- through the login page ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_forged_forwarded_header_does_not_change_the_audited_address(client, sagamihara, login_form):
    login_form(client, sagamihara.email, HTTP_X_FORWARDED_FOR="198.51.100.9")
    assert AuditLog.objects.get(action=A.LOGIN).ip == BROWSER["REMOTE_ADDR"]


@pytest.mark.django_db
@pytest.mark.parametrize("trusted", [0, 1])
@pytest.mark.parametrize("forwarded", GARBAGE)
def test_a_malformed_forwarded_header_is_no_500_and_the_failure_is_audited(
        client, sagamihara, login_form, settings, trusted, forwarded):
    settings.TRUSTED_PROXY_COUNT = trusted
    response = login_form(client, sagamihara.email, WRONG, HTTP_X_FORWARDED_FOR=forwarded)
    assert response.status_code == 200
    row = AuditLog.objects.get(action=A.LOGIN_FAILED)
    assert row.ip in {BROWSER["REMOTE_ADDR"], "1.2.3.4"} and row.target == sagamihara.email
