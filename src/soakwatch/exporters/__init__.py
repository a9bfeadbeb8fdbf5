"""Exporters: the NATS tick probe and the soak exporter with its collectors."""
