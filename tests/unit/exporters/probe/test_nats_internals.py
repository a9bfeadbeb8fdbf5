"""The nats-py internals the probe's fast path relies on; a failure here means nats-py changed under it."""

from __future__ import annotations

import inspect
from importlib.metadata import version

import nats.aio.client
import nats.aio.subscription
import nats.protocol.parser

from soakwatch.exporters.probe import fastpath


def test_nats_py_is_the_pinned_version():
    assert version("nats-py") == "2.16.0", "the probe's fast path was checked against nats-py 2.16.0 only"


def test_process_msg_signature():
    params = list(inspect.signature(nats.aio.client.Client._process_msg).parameters)
    assert params == ["self", "sid", "subject", "reply", "data", "headers"]
    assert inspect.iscoroutinefunction(nats.aio.client.Client._process_msg)


def test_parser_dispatches_each_message_through_the_client_attribute():
    source = inspect.getsource(nats.protocol.parser.Parser.parse)
    assert "await self.nc._process_msg(sid, subject, reply, payload, hdr)" in source


def test_subscription_exposes_sid_and_pending_queue():
    source = inspect.getsource(nats.aio.subscription.Subscription.__init__)
    assert "self._id = id" in source and "self._pending_queue" in source
    assert "_process_msg" in fastpath.install.__code__.co_names
