"""Guards on the places that lean on framework internals, kept because the
benchmarks show they pay (bench/README.md, "Framework internals"):

- ``procurement.asgi.SyncChainASGIHandler`` builds Django's middleware chain
  as under WSGI and wraps it once with Django's private
  ``BaseHandler.adapt_method_mode``;
- ``live.consumers._Forwarding.__call__`` replaces Channels'
  ``AsyncConsumer.__call__`` (the socket loop) with its own forwarding task;
- ``core.shapes`` recognises a child-less ``DictField``/``ListField`` by DRF's
  private ``_UnvalidatedField`` (bench/shapes.py measures the shapes).

When an upgrade of Django or Channels changes the code these copy or call,
these tests fail: re-read the new version, adapt (or drop) the override,
re-run bench/register.py and bench/ws_fanout.py, then update the fingerprints."""

import hashlib
import inspect

from asgiref.sync import SyncToAsync
from channels.consumer import AsyncConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.core.handlers.base import BaseHandler

from live import consumers
from procurement import asgi


def _fingerprint(function) -> str:
    return hashlib.sha256(inspect.getsource(function).encode()).hexdigest()[:16]


def test_djangos_private_adapt_method_mode_is_the_one_the_asgi_handler_was_written_for():
    assert str(inspect.signature(BaseHandler.adapt_method_mode)) == (
        "(self, is_async, method, method_is_async=None, debug=False, name=None)")
    assert str(inspect.signature(BaseHandler.load_middleware)) == "(self, is_async=False)"
    assert _fingerprint(BaseHandler.adapt_method_mode) == "1f6383b647ac2959", (
        "Django changed BaseHandler.adapt_method_mode: re-check procurement/asgi.py's SyncChainASGIHandler")
    assert _fingerprint(BaseHandler.load_middleware) == "a1fb7ee5f8586195", (
        "Django changed BaseHandler.load_middleware: re-check procurement/asgi.py's SyncChainASGIHandler")


def test_the_asgi_handler_enters_a_synchronous_chain_once():
    # the whole chain is one sync callable, entered through one sync_to_async
    chain = asgi.django_asgi_app._middleware_chain
    assert isinstance(chain, SyncToAsync)
    assert not inspect.iscoroutinefunction(chain.func)


def test_channels_consumer_loop_is_the_one_the_forwarding_consumer_replaces():
    assert consumers._Forwarding.__call__ is not AsyncConsumer.__call__
    assert AsyncWebsocketConsumer.__call__ is AsyncConsumer.__call__
    assert _fingerprint(AsyncConsumer.__call__) == "e52238720872dbc3", (
        "Channels changed AsyncConsumer.__call__: re-check live/consumers.py's _Forwarding.__call__")
    assert str(inspect.signature(consumers.await_many_dispatch)) == "(consumer_callables, dispatch)"
    # the attributes _Forwarding.__call__ sets up are the ones Channels' handlers read
    source = inspect.getsource(AsyncConsumer)
    for name in ("self.scope", "self.channel_layer", "self.channel_name", "self.base_send", "StopConsumer"):
        assert name in source, f"Channels' AsyncConsumer no longer uses {name}"


def test_drfs_private_unvalidated_field_is_what_core_shapes_passes_through():
    # core/shapes.py renders a DictField or ListField without a child as the
    # value itself, recognising that case by DRF's private _UnvalidatedField.
    from rest_framework import fields, serializers

    from core.shapes import _converter

    assert isinstance(serializers.DictField().child, fields._UnvalidatedField)
    assert isinstance(serializers.ListField().child, fields._UnvalidatedField)
    value = {"a": [1, {"b": 2}]}
    assert _converter(serializers.DictField()).__name__ == "_identity"
    assert _converter(serializers.DictField())(value) is value
    assert _converter(serializers.ListField(child=serializers.IntegerField())).__name__ != "_identity"
