"""Exporters: the NATS tick probe and the soak exporter's collectors."""
