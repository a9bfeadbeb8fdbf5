"""Test servers for soakwatch and for pipelines that test against it (an OTLP receiver)."""

from soakwatch.testing.otlp_receiver import OtlpReceiver

__all__ = ["OtlpReceiver"]
