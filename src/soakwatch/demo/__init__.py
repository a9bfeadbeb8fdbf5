"""The simulated pipeline: ticks, the four processes under a supervisor, sinks and faults."""
