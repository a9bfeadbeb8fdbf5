"""Subjects heard on NATS sorted into tick streams and contract payloads (exact or near shapes), grouped into
the wildcard patterns the config names."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from soakwatch.init.natsfind import NatsSeen, SubjectSeen
from soakwatch.init.shapes import Shape, TimeField, recognise, sequence_field, time_field


@dataclass
class Stream:
    """One pattern of subjects of one kind (``tick``, ``health``, ``harvester``, ``signals``, ``exports`` or
    ``other``), with its rate and what was inferred of its payloads."""

    kind: str
    pattern: str
    subjects: list[str]
    rate: float
    rate_from: str = "listening"  # or "monitoring" (messages the server delivered to this subscription)
    shape: Shape | None = None
    time: TimeField | None = None
    header_ts: bool = False
    seq: str | None = None
    keys: list[str] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        """The subject prefix whose last token is the process name (heartbeats)."""
        return self.pattern.rsplit(".", 1)[0] if "." in self.pattern else self.pattern


def kind_of(seen: SubjectSeen, now: float) -> tuple[str, Shape | None]:
    shape = recognise(seen.samples) if seen.samples else None
    if shape is not None:
        return shape.kind, shape
    if seen.header_ts or (seen.samples and time_field(seen.samples, now)):
        return "tick", None
    return "other", None


def pattern_for(subjects: Sequence[str], kind: str) -> str:
    """One subject stays as it is; several under one prefix become ``prefix.>``; heartbeats always name the
    prefix (their last token is the process)."""
    if len(subjects) == 1 and kind != "health":
        return subjects[0]
    return subjects[0].rsplit(".", 1)[0] + ".>"


def streams(seen: NatsSeen, now: float) -> list[Stream]:
    """The subjects heard, grouped by kind and prefix, busiest first."""
    groups: dict[tuple[str, str], list[SubjectSeen]] = {}
    shapes: dict[tuple[str, str], Shape | None] = {}
    for subject in sorted(seen.subjects):
        item = seen.subjects[subject]
        kind, shape = kind_of(item, now)
        key = (kind, subject.rsplit(".", 1)[0] if "." in subject else subject)
        groups.setdefault(key, []).append(item)
        shapes.setdefault(key, shape)
    out = [_stream(kind, items, shapes[(kind, prefix)], seen, now) for (kind, prefix), items in groups.items()]
    _monitor_rates(out, seen)
    return sorted(out, key=lambda s: -s.rate)


def _stream(kind: str, items: list[SubjectSeen], shape: Shape | None, seen: NatsSeen, now: float) -> Stream:
    names = [i.subject for i in items]
    samples = [s for i in items for s in i.samples]
    stream = Stream(kind, pattern_for(names, kind), names, sum(seen.rate(n) for n in names), shape=shape,
                    keys=list(dict.fromkeys(k for s in samples for k in s)))
    if kind == "tick":
        stream.header_ts = all(i.header_ts == i.messages for i in items)
        stream.time = time_field(samples, now) if samples else None
        by_subject: Mapping[str, list] = {i.subject: i.samples for i in items}
        stream.seq = sequence_field(by_subject, exclude=[stream.time.name] if stream.time else [])
    return stream


def _monitor_rates(out: list[Stream], seen: NatsSeen) -> None:
    """Where the server delivered a pattern to a subscriber, its count over the listen is the rate."""
    if seen.monitor is None:
        return
    rates = seen.monitor.subscription_rates()
    for stream in out:
        if rates.get(stream.pattern):
            stream.rate, stream.rate_from = rates[stream.pattern], "monitoring"
