"""Test aids for soakwatch and for pipelines that test against it: an OTLP receiver, bounded waits."""

from soakwatch.testing.otlp_receiver import OtlpReceiver
from soakwatch.testing.wait import async_wait_for, nats_subscriptions, wait_for

__all__ = ["OtlpReceiver", "async_wait_for", "nats_subscriptions", "wait_for"]
