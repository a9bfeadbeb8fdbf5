"""The soak exporter's config: YAML with ``${VAR:-default}`` expansion, validated into frozen objects."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from soakwatch import contract
from soakwatch.errors import ConfigError
from soakwatch.exporters.probe.ticks import TS_UNITS
from soakwatch.exporters.shared.envexpand import expand_tree
from soakwatch.exporters.shared.fieldmap import FieldMap, parse_fieldmap
from soakwatch.exporters.soak.procscope import PROCESS_PLACEHOLDER, ProcessScope

__all__ = [
    "ExporterConfig", "ExportsConfig", "HealthConfig", "HttpHealthConfig", "ManifestConfig", "ProbeConfig",
    "ProcessMatch", "ProcessScope",
    "ProcessesConfig", "SinksConfig", "SubjectConfig", "demo_config_path", "load_config", "parse_config",
]

_LABEL = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
HEALTH_SOURCES = ("heartbeats", "http", "liveness")
SIGNAL_SOURCES = ("nats", "jsonl")
HARVESTER_SOURCES = ("nats", "manifest")


@dataclass(frozen=True)
class ProcessMatch:
    """A logical process: OS processes whose name and/or command line match (``re.search``)."""

    name: re.Pattern[str] | None = None
    cmdline: re.Pattern[str] | None = None


@dataclass(frozen=True)
class ProcessesConfig:
    match: Mapping[str, ProcessMatch]
    interval: float = 5.0
    liveness_interval: float = 0.1
    scope: ProcessScope | None = None  # only processes of one run (processes.scope)


@dataclass(frozen=True)
class HttpHealthConfig:
    process: str
    url: str
    interval: float = 10.0
    timeout: float = 2.0


@dataclass(frozen=True)
class HealthConfig:
    processes: tuple[str, ...] = contract.PROCESSES
    interval: float = contract.HEARTBEAT_INTERVAL_SECONDS
    missing_after: float = 3.0
    subject_prefix: str = contract.HEALTH_SUBJECT_PREFIX
    http: tuple[HttpHealthConfig, ...] = ()
    source: str = "heartbeats"  # heartbeats (with the http list), http (only it), liveness (processes up)
    mapping: FieldMap = field(default_factory=FieldMap)


@dataclass(frozen=True)
class SubjectConfig:
    """A collector fed by one NATS subject (harvester stats, signals, export events), or by ``source``."""

    subject: str
    source: str = "nats"
    mapping: FieldMap = field(default_factory=FieldMap)


@dataclass(frozen=True)
class ExportsConfig(SubjectConfig):
    """The reporter's export events; ``backends`` are exposed at 0 from the start."""

    backends: tuple[str, ...] = ()


@dataclass(frozen=True)
class SinksConfig:
    jsonl: Path | None = None
    sqlite: Path | None = None
    table: str = "signals"
    interval: float = 1.0


@dataclass(frozen=True)
class ManifestConfig:
    path: str
    interval: float = 5.0


@dataclass(frozen=True)
class ProbeConfig:
    """The tick probe's settings (``soakwatch up --exporter-config`` passes them on; the exporter ignores them)."""

    subjects: tuple[str, ...] = ()
    ts_field: str | None = None
    ts_unit: str | None = None
    seq_field: str | None = None

    def argv(self) -> list[str]:
        """The probe's flags for these settings."""
        args = [arg for subject in self.subjects for arg in ("--subject", subject)]
        for flag, value in (("--ts-field", self.ts_field), ("--ts-unit", self.ts_unit),
                            ("--seq-field", self.seq_field)):
            args += [flag, value] if value else []
        return args


@dataclass(frozen=True)
class ExporterConfig:
    listen_address: str | None = None
    nats_url: str | None = None
    processes: ProcessesConfig | None = None
    health: HealthConfig | None = None
    harvester: SubjectConfig | None = None
    signals: SubjectConfig | None = None
    exports: ExportsConfig | None = None
    sinks: SinksConfig | None = None
    manifest: ManifestConfig | None = None
    probe: ProbeConfig | None = None
    state_file: Path | None = None
    run_id: str | None = None
    source: str = field(default="<dict>", compare=False)

    def needs_nats(self) -> bool:
        nats_health = self.health is not None and self.health.source == "heartbeats"
        return nats_health or any(c is not None and c.source == "nats"
                                  for c in (self.harvester, self.signals, self.exports))


class _Section:
    """Reads one mapping of the YAML tree; every rule broken names ``<path>.<key>``."""

    def __init__(self, data: Any, path: str) -> None:
        if not isinstance(data, dict):
            raise ConfigError(path or "(top level)", f"must be a mapping, got {type(data).__name__}")
        self.data, self.path, self._seen = data, path, {"enabled"}

    def _field(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str, default: Any = None) -> Any:
        self._seen.add(key)
        value = self.data.get(key)
        return default if value is None else value

    def number(self, key: str, default: float, minimum: float = 0.0) -> float:
        value = self.get(key, default)
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ConfigError(self._field(key), f"must be a number, got {value!r}") from None
        if not number > minimum:
            raise ConfigError(self._field(key), f"must be > {minimum:g}, got {value!r}")
        return number

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(self._field(key), f"must be a non-empty string, got {value!r}")
        return value

    def regex(self, key: str) -> re.Pattern[str] | None:
        text = self.string(key)
        if text is None:
            return None
        try:
            return re.compile(text)
        except re.error as exc:
            raise ConfigError(self._field(key), f"must be a valid regular expression ({exc})") from None

    def section(self, key: str) -> _Section | None:
        """A sub-mapping; absent, null, false or ``enabled: false`` switch it off; ``true`` means defaults."""
        value = self.get(key)
        if value is None or value is False:
            return None
        sub = _Section({} if value is True else value, self._field(key))
        enabled = sub.data.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ConfigError(sub._field("enabled"), f"must be true or false, got {enabled!r}")
        return sub if enabled else None

    def done(self) -> None:
        unknown = sorted(str(k) for k in self.data if k not in self._seen)
        if unknown:
            raise ConfigError(self._field(unknown[0]), "is not a known field")


def _label(value: Any, field_name: str) -> str:
    if not isinstance(value, str) or not _LABEL.match(value):
        raise ConfigError(field_name, f"must be a label value of [A-Za-z0-9_.-]{{1,64}}, got {value!r}")
    return value


def _process_match(name: str, value: Any, path: str) -> ProcessMatch:
    if isinstance(value, str):
        value = {"cmdline": value}
    sec = _Section(value, path)
    match = ProcessMatch(name=sec.regex("name"), cmdline=sec.regex("cmdline"))
    sec.done()
    if match.name is None and match.cmdline is None:
        raise ConfigError(path, "must set name and/or cmdline (a regular expression)")
    return match


def _processes(sec: _Section) -> ProcessesConfig:
    raw = sec.get("match")
    if raw is None:
        match = {name: ProcessMatch(cmdline=re.compile(rf"\b{name}\b")) for name in contract.PROCESSES}
    else:
        if not isinstance(raw, dict) or not raw:
            raise ConfigError(f"{sec.path}.match", "must be a non-empty mapping of process name to regex")
        match = {_label(k, f"{sec.path}.match"): _process_match(k, v, f"{sec.path}.match.{k}")
                 for k, v in raw.items()}
    scope = sec.section("scope")
    config = ProcessesConfig(match=match, interval=sec.number("interval", 5.0),
                             liveness_interval=sec.number("liveness_interval", 0.1),
                             scope=_scope(scope, len(match)) if scope else None)
    sec.done()
    return config


_ENV_PAIR = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.+)$")


def _scope(sec: _Section, processes: int) -> ProcessScope:
    env = sec.string("env")
    pair = _ENV_PAIR.match(env) if env else None
    if env and pair is None:
        raise ConfigError(f"{sec.path}.env", f"must be NAME=VALUE with a non-empty value, got {env!r}")
    pidfile, parent_file = sec.string("pidfile"), sec.string("parent_pidfile")
    if pidfile and processes > 1 and PROCESS_PLACEHOLDER not in pidfile:
        raise ConfigError(f"{sec.path}.pidfile", f"must contain {PROCESS_PLACEHOLDER} (one pidfile per process)")
    parent = sec.get("parent_pid")
    if parent is not None and not (str(parent).isdigit() and int(parent) > 0):
        raise ConfigError(f"{sec.path}.parent_pid", f"must be a pid (an integer > 0), got {parent!r}")
    if parent is not None and parent_file:
        raise ConfigError(f"{sec.path}.parent_pid", "and parent_pidfile exclude each other")
    scope = ProcessScope(env=(pair[1], pair[2]) if pair else None, pidfile=pidfile,
                         parent_pid=int(parent) if parent is not None else None, parent_pidfile=parent_file)
    sec.done()
    if scope == ProcessScope():
        raise ConfigError(sec.path, "must set env, pidfile, parent_pid or parent_pidfile")
    return scope


def _http_health(item: Any, path: str, interval: float) -> HttpHealthConfig:
    sec = _Section(item, path)
    url = sec.string("url")
    if not url or not url.startswith(("http://", "https://")):
        raise ConfigError(f"{path}.url", f"must be an http(s):// URL, got {url!r}")
    config = HttpHealthConfig(process=_label(sec.get("process"), f"{path}.process"), url=url,
                              interval=sec.number("interval", interval), timeout=sec.number("timeout", 2.0))
    sec.done()
    return config


def _health(sec: _Section, default_processes: tuple[str, ...]) -> HealthConfig:
    processes = sec.get("processes", list(default_processes))
    if not isinstance(processes, list):
        raise ConfigError(f"{sec.path}.processes", "must be a list of process names")
    interval = sec.number("interval", contract.HEARTBEAT_INTERVAL_SECONDS)
    http = sec.get("http", [])
    if not isinstance(http, list):
        raise ConfigError(f"{sec.path}.http", "must be a list of {process, url} endpoints")
    source = _source(sec, HEALTH_SOURCES)
    endpoints = tuple(_http_health(item, f"{sec.path}.http[{i}]", interval) for i, item in enumerate(http))
    if source == "http" and not endpoints:
        raise ConfigError(f"{sec.path}.source", "http needs a non-empty health.http list")
    if source == "liveness" and endpoints:
        raise ConfigError(f"{sec.path}.http", "is not read with source liveness (use source heartbeats or http)")
    names = tuple(e.process for e in endpoints) if source == "http" else processes
    config = HealthConfig(
        processes=tuple(dict.fromkeys(_label(p, f"{sec.path}.processes") for p in names)), interval=interval,
        missing_after=sec.number("missing_after", 3.0),
        subject_prefix=sec.string("subject_prefix", contract.HEALTH_SUBJECT_PREFIX) or "",
        http=endpoints, source=source, mapping=_fieldmap(sec, "health"),
    )
    sec.done()
    return config


def _source(sec: _Section, allowed: tuple[str, ...]) -> str:
    source = sec.get("source", allowed[0])
    if source not in allowed:
        raise ConfigError(f"{sec.path}.source", f"must be one of {', '.join(allowed)}, got {source!r}")
    return str(source)


def _fieldmap(sec: _Section, kind: str) -> FieldMap:
    return parse_fieldmap(kind, sec.get("fields"), sec.get("values"), sec.path)


def _subject(sec: _Section, default: str, kind: str, sources: tuple[str, ...]) -> SubjectConfig:
    config = SubjectConfig(subject=sec.string("subject", default) or default, source=_source(sec, sources),
                           mapping=_fieldmap(sec, kind))
    sec.done()
    return config


def _sinks(sec: _Section) -> SinksConfig:
    jsonl, sqlite = sec.string("jsonl"), sec.string("sqlite")
    if not (jsonl or sqlite):
        raise ConfigError(sec.path, "must set jsonl and/or sqlite (file paths)")
    table = sec.string("table", "signals") or "signals"
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table):
        raise ConfigError(f"{sec.path}.table", f"must be an SQL identifier, got {table!r}")
    config = SinksConfig(jsonl=Path(jsonl) if jsonl else None, sqlite=Path(sqlite) if sqlite else None,
                         table=table, interval=sec.number("interval", 1.0))
    sec.done()
    return config


def _manifest(sec: _Section) -> ManifestConfig:
    path = sec.string("path")
    if not path:
        raise ConfigError(f"{sec.path}.path", "is required (a file or a glob such as run_manifest*.json)")
    config = ManifestConfig(path=path, interval=sec.number("interval", 5.0))
    sec.done()
    return config


def parse_config(data: Any, source: str = "<dict>", environ: Mapping[str, str] | None = None) -> ExporterConfig:
    """Validate a parsed YAML tree (after ``${VAR:-default}`` expansion) into an ExporterConfig."""
    root = _Section({} if data is None else expand_tree(data, environ=environ), "")
    exporter, nats = root.section("exporter"), root.section("nats")
    listen = exporter.string("listen_address") if exporter else None
    state_file, run_id = _state_options(exporter) if exporter else (None, None)
    nats_url = nats.string("url") if nats else None
    for sec in (exporter, nats):
        if sec:
            sec.done()
    procs = root.section("processes")
    processes = _processes(procs) if procs else None
    health = root.section("health")
    config = ExporterConfig(
        listen_address=listen, nats_url=nats_url, processes=processes,
        health=_health(health, tuple(processes.match) if processes else contract.PROCESSES) if health else None,
        harvester=_optional(root, "harvester", contract.HARVESTER_STATS_SUBJECT, HARVESTER_SOURCES),
        signals=_optional(root, "signals", contract.SIGNAL_SUBJECT, SIGNAL_SOURCES),
        exports=_exports(e) if (e := root.section("exports")) else None,
        sinks=_sinks(s) if (s := root.section("sinks")) else None,
        manifest=_manifest(m) if (m := root.section("manifest")) else None, source=source,
        probe=_probe(p) if (p := root.section("probe")) else None,
        state_file=state_file, run_id=run_id,
    )
    root.done()
    _check_sources(config)
    return config


def _check_sources(config: ExporterConfig) -> None:
    """An alternate source needs the section it reads from."""
    health = config.health
    if health and health.source == "liveness":
        if config.processes is None:
            raise ConfigError("health.source", "liveness needs the processes section (its up state is the source)")
        unmatched = [p for p in health.processes if p not in config.processes.match]
        if unmatched:
            raise ConfigError("health.processes", f"liveness needs every process in processes.match, "
                                                  f"not {unmatched[0]!r}")
    if config.signals and config.signals.source == "jsonl" and not (config.sinks and config.sinks.jsonl):
        raise ConfigError("signals.source", "jsonl needs sinks.jsonl (the file signals are counted from)")
    if config.harvester and config.harvester.source == "manifest" and config.manifest is None:
        raise ConfigError("harvester.source", "manifest needs the manifest section (manifest.path)")


def _probe(sec: _Section) -> ProbeConfig:
    subjects = sec.get("subjects", [])
    if isinstance(subjects, str):
        subjects = [subjects]
    if not isinstance(subjects, list) or not all(isinstance(s, str) and s.strip() for s in subjects):
        raise ConfigError(f"{sec.path}.subjects", f"must be a list of NATS subjects, got {subjects!r}")
    unit = sec.string("ts_unit")
    if unit is not None and unit not in TS_UNITS:
        raise ConfigError(f"{sec.path}.ts_unit", f"must be one of {', '.join(sorted(TS_UNITS))}, got {unit!r}")
    config = ProbeConfig(subjects=tuple(subjects), ts_field=sec.string("ts_field"), ts_unit=unit,
                         seq_field=sec.string("seq_field"))
    sec.done()
    return config


def _state_options(sec: _Section) -> tuple[Path | None, str | None]:
    """``exporter.state_file`` and ``exporter.run_id`` (the key a state file is restored by)."""
    path = sec.string("state_file")
    run_id = sec.get("run_id")
    if run_id == "":
        run_id = None
    return (Path(path) if path else None), (None if run_id is None else _label(run_id, "exporter.run_id"))


def _exports(sec: _Section) -> ExportsConfig:
    backends = sec.get("backends", [])
    if not isinstance(backends, list):
        raise ConfigError(f"{sec.path}.backends", "must be a list of backend names (e.g. [prometheus])")
    config = ExportsConfig(subject=sec.string("subject", contract.REPORT_EXPORT_SUBJECT) or "",
                           source=_source(sec, ("nats",)), mapping=_fieldmap(sec, "exports"),
                           backends=tuple(dict.fromkeys(_label(b, f"{sec.path}.backends") for b in backends)))
    sec.done()
    return config


def _optional(root: _Section, key: str, subject: str, sources: tuple[str, ...]) -> SubjectConfig | None:
    sec = root.section(key)
    return _subject(sec, subject, key, sources) if sec else None


def demo_config_path() -> Path:
    """The packaged config of the local demo stack (``soakwatch export --config demo``)."""
    return Path(str(resources.files("soakwatch.exporters.soak").joinpath("demo.yaml")))


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> ExporterConfig:
    """Read and validate a YAML config file; ``"demo"`` names the packaged demo config."""
    file = demo_config_path() if str(path) == "demo" else Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError("--config", f"must be a readable file ({file}: {exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError("--config", f"must be UTF-8 text ({file}: byte {exc.start} is not UTF-8)") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError("--config", f"must be valid YAML ({file}: {exc})") from None
    return parse_config(data, source=str(file), environ=environ)
