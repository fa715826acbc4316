"""The client's address, as every per-address rule counts it: the login
lockout (django-axes, ``AXES_CLIENT_IP_CALLABLE``) and the abuse limits
(core/throttling.py).

The address is the TCP peer (``REMOTE_ADDR``). ``X-Forwarded-For`` is read
only when that peer is one of ``PROCUREMENT_TRUSTED_PROXIES`` (none by
default), and then from the right: each hop a trusted proxy appended is
skipped, and the first address no trusted proxy vouches for is the client's.
Whatever a client writes at the left of the header itself is never reached,
so rotating it neither resets nor splits a count.

An IPv6 client counts as its /64 (given as the network's first address): a
subscriber is routinely handed a whole /64, and walking through its
addresses must not split a count either.

The server must not rewrite the peer itself: uvicorn's ``--proxy-headers``
(on by default, trusting 127.0.0.1) believes any ``X-Forwarded-For`` sent
from the machine, so the platform runs uvicorn with ``--no-proxy-headers``
and decides here.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # [v6]:port
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # v4:port
        value = value.partition(":")[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    return address.ipv4_mapped or address if isinstance(address, ipaddress.IPv6Address) else address


def _trusted(address, networks: tuple[Network, ...]) -> bool:
    return any(address in network for network in networks)


def _counted(address) -> str:
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((address, 64), strict=False).network_address)
    return str(address)


def client_address(request) -> str | None:
    """The client's address for ``request`` (a Django ``HttpRequest`` or a DRF
    ``Request``); None if the request has none (e.g. a test's ``force_login``:
    django-axes stores the address in an address column)."""
    meta = request.META
    peer_text = meta.get("REMOTE_ADDR") or ""
    peer = _address(peer_text)
    if peer is None:
        return peer_text or None
    networks = settings.PROCUREMENT_TRUSTED_PROXIES
    if not networks or not _trusted(peer, networks):
        return _counted(peer)
    client = peer
    hops = [hop for hop in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # garbage: the last address a trusted hop gave is as far as we can believe
            break
        client = address
        if not _trusted(address, networks):
            break
    return _counted(client)
