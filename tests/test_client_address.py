"""The client address the login lockout (django-axes) and the per-address
abuse limits count: the TCP peer, and X-Forwarded-For only from a configured
proxy (PROCUREMENT_TRUSTED_PROXIES), read from the right. A client rotating
its own X-Forwarded-For neither resets nor splits either count."""

import ipaddress

import pytest
from django.test import RequestFactory

from core import throttling
from core.clientip import client_address

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.1"


@pytest.fixture(autouse=True)
def fresh_counters():
    throttling.reset_counts()
    yield
    throttling.reset_counts()


@pytest.fixture
def behind_proxy(settings):
    settings.PROCUREMENT_TRUSTED_PROXIES = (ipaddress.ip_network("10.0.0.0/24"),)


def address_of(remote_addr, forwarded_for=None):
    headers = {} if forwarded_for is None else {"HTTP_X_FORWARDED_FOR": forwarded_for}
    return client_address(RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers))


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.PROCUREMENT_TRUSTED_PROXIES = ()
    assert address_of("203.0.113.7", "198.51.100.1") == "203.0.113.7"
    assert address_of("127.0.0.1", "198.51.100.1") == "127.0.0.1"


def test_a_trusted_proxy_names_the_client_and_what_the_client_wrote_is_skipped(behind_proxy):
    # the proxy appends the address it saw to whatever the client sent
    assert address_of(PROXY, "198.51.100.1") == "198.51.100.1"
    assert address_of(PROXY, "1.2.3.4, 5.6.7.8, 198.51.100.1") == "198.51.100.1"
    # two trusted proxies in a row: both hops are skipped
    assert address_of(PROXY, "6.6.6.6, 198.51.100.1, 10.0.0.2") == "198.51.100.1"
    # an untrusted peer's header is ignored; garbage stops the walk at the last trusted hop
    assert address_of("203.0.113.7", "198.51.100.1") == "203.0.113.7"
    assert address_of(PROXY, "198.51.100.1, not-an-ip") == PROXY
    assert address_of(PROXY) == PROXY
    assert address_of(PROXY, "[2001:db8::1]:443") == "2001:db8::"


def test_an_ipv6_client_counts_as_its_64_so_walking_its_addresses_does_not_split_a_count(behind_proxy):
    assert address_of("2001:db8:0:1::7") == address_of("2001:db8:0:1:ffff:ffff:ffff:fffe") == "2001:db8:0:1::"
    assert address_of("2001:db8:0:2::7") == "2001:db8:0:2::"
    assert address_of(PROXY, "2001:db8:0:1::abcd") == "2001:db8:0:1::"
    # an IPv4 client in IPv6 clothing is still its IPv4 address
    assert address_of("::ffff:203.0.113.7") == "203.0.113.7"


def failed_login(api, username, remote_addr, forwarded_for):
    return api.post("/api/auth/token/", {"username": username, "password": "wrong-guess"}, format="json",
                    REMOTE_ADDR=remote_addr, HTTP_X_FORWARDED_FOR=forwarded_for)


@pytest.mark.parametrize("peer, real", [("203.0.113.7", None), (PROXY, "203.0.113.7")])
def test_rotating_the_header_does_not_escape_the_login_lockout(api, officer, settings, behind_proxy, peer, real):
    # given a lockout after 9 failures, and per-address limits out of the way
    settings.AXES_FAILURE_LIMIT = 9
    settings.PROCUREMENT_THROTTLE_RATES = {**settings.PROCUREMENT_THROTTLE_RATES,
                                           "login_address": "1000/hour", "login_username": "1000/hour"}
    # when one client sends 25 wrong passwords, each with a new forged X-Forwarded-For
    statuses = []
    for i in range(25):
        forged = f"198.51.100.{i}" if real is None else f"198.51.100.{i}, {real}"
        statuses.append(failed_login(api, officer.username, peer, forged).status_code)
    # then it is locked out at the 9th, as if it had sent no header
    assert statuses == [400] * 8 + [429] * 17
    # while another client behind the same proxy is not
    if real is not None:
        assert failed_login(api, officer.username, PROXY, "198.51.100.200").status_code == 400


@pytest.mark.parametrize("peer, real", [("203.0.113.7", None), (PROXY, "203.0.113.7")])
def test_rotating_the_header_does_not_split_the_per_address_limit(api, settings, behind_proxy, peer, real):
    settings.PROCUREMENT_THROTTLE_RATES = {**settings.PROCUREMENT_THROTTLE_RATES, "login_address": "3/minute"}
    # when one client tries a different username each time, each with a new forged header
    statuses = []
    for i in range(6):
        forged = f"198.51.100.{i}" if real is None else f"198.51.100.{i}, {real}"
        statuses.append(failed_login(api, f"user{i}", peer, forged).status_code)
    # then the header does not make it a new client
    assert statuses == [400] * 3 + [429] * 3
    if real is not None:  # and the proxy's other clients keep their own count
        assert failed_login(api, "user9", PROXY, "198.51.100.200").status_code == 400
