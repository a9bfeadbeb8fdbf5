"""docker-compose.yml: valid, every mounted file exists and passes promtool/amtool, same rules as `soakwatch up`.

No Docker engine runs here, so the file is checked with what runs: docker-compose's
own validation, and the real promtool/amtool on the configs as the containers see them.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from stack_paths import PLACEHOLDER_CONFIG_DIR, REPO_ROOT, stack_config_dir

from soakwatch.dashboards.panels import DATASOURCE
from soakwatch.stack import render, servers

PASSWORD = "compose-test-password"
PUBLISHED = {"4222", "9090", "9091", "9093", "9096", "3000", "4317", "4318", "8086"}


@pytest.fixture(scope="module")
def compose_root(tmp_path_factory) -> Path:
    """The repository, or a copy of its layout with placeholder prometheus/ and alerting/ while those are absent."""
    if stack_config_dir() == REPO_ROOT:
        return REPO_ROOT
    root = tmp_path_factory.mktemp("repo")
    for entry in REPO_ROOT.iterdir():
        if entry.name not in ("prometheus", "alerting", ".git"):
            (root / entry.name).symlink_to(entry)
    for name in ("prometheus", "alerting"):
        (root / name).symlink_to(PLACEHOLDER_CONFIG_DIR / name)
    return root


def _compose(root: Path, *args: str, password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRAFANA_", "SOAK_WEBHOOK_"))}
    if password is not None:
        env["GRAFANA_ADMIN_PASSWORD"] = password
    return subprocess.run(["docker-compose", "-f", str(root / "docker-compose.yml"), *args], cwd=root, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


@pytest.fixture(scope="module")
def compose(compose_root) -> dict:
    result = _compose(compose_root, "config")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def _binds(service: dict) -> dict[str, str]:
    """container path -> host path of a service's bind mounts."""
    binds = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith("/"):
            binds[target] = source
    return binds


def _container_fs(root: Path, service: dict) -> Path:
    """A folder where each bind mount of ``service`` sits at its container path (as symlinks)."""
    for target, source in _binds(service).items():
        path = root / target.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(source)
    return root


def test_config_is_valid(compose_root):
    result = _compose(compose_root, "config", "-q")
    assert result.returncode == 0, result.stderr


def test_grafana_needs_an_admin_password_from_the_environment(compose_root, compose):
    result = _compose(compose_root, "config", "-q", password=None)
    assert result.returncode != 0 and "GRAFANA_ADMIN_PASSWORD" in result.stderr
    grafana = compose["services"]["grafana"]["environment"]
    assert grafana["GF_SECURITY_ADMIN_PASSWORD"] == PASSWORD
    assert grafana["GF_AUTH_ANONYMOUS_ENABLED"] == "true" and grafana["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"


def test_every_mounted_file_exists(compose, compose_root):
    for name, service in compose["services"].items():
        for target, source in _binds(service).items():
            assert Path(source).exists(), f"{name}: {source} (mounted at {target}) does not exist"
        if "build" in service:
            assert (Path(service["build"]["context"]) / "Dockerfile").is_file(), name
    home = compose["services"]["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    dashboards = _binds(compose["services"]["grafana"])["/etc/grafana/dashboards/soakwatch"]
    assert (Path(dashboards) / Path(home).name).is_file()


def _render_as_config_service(compose: dict, tmp_path: Path) -> tuple[Path, Path]:
    """Run the renderer the way the `config` service does; returns (its filesystem, the rendered folder)."""
    service = compose["services"]["config"]
    assert service["command"][:2] == ["soakwatch", "render-config"]
    fs = _container_fs(tmp_path / "config-fs", service)
    config_dir = fs / service["environment"]["SOAKWATCH_CONFIG_DIR"].lstrip("/")
    render.render_all(config_dir, tmp_path / "rendered", render.compose_targets(), env={})
    return fs, tmp_path / "rendered"


def _as_seen_by(service_name: str, compose: dict, tmp_path: Path) -> Path:
    """The rendered configs placed in ``service_name``'s filesystem with its own bind mounts."""
    config_fs, rendered = _render_as_config_service(compose, tmp_path)
    fs = _container_fs(tmp_path / f"{service_name}-fs", compose["services"][service_name])
    (fs / "etc/soakwatch/rendered").mkdir(parents=True)
    for path in rendered.iterdir():
        text = path.read_text().replace(f"{config_fs}/", f"{fs}/")
        (fs / "etc/soakwatch/rendered" / path.name).write_text(text)
    return fs


def _command_flag(service: dict, flag: str) -> str:
    return next(arg.split("=", 1)[1] for arg in service["command"] if arg.startswith(f"{flag}="))


def test_prometheus_sees_the_same_rules_as_the_local_stack(compose, compose_root, tmp_path):
    service = compose["services"]["prometheus"]
    fs = _as_seen_by("prometheus", compose, tmp_path)
    config_file = fs / _command_flag(service, "--config.file").lstrip("/")
    result = subprocess.run([servers.find_binary("promtool"), "check", "config", str(config_file)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    in_container = {Path(p).resolve() for g in yaml.safe_load(config_file.read_text())["rule_files"]
                    for p in glob.glob(g)}
    local = render.render_prometheus(render.load_yaml(compose_root / render.PROMETHEUS_CONFIG),
                                     render.local_targets(_default_ports()), compose_root / "prometheus")
    locally = {Path(p).resolve() for g in local["rule_files"] for p in glob.glob(g)}
    assert in_container and in_container == locally
    assert re.search(rf"SUCCESS: {len(locally)} rule files found", result.stdout), result.stdout


def test_the_run_identity_comes_from_the_environment_into_every_soak_scrape_job(compose_root, tmp_path, monkeypatch):
    """SOAK_PIPELINE and SOAK_RUN_ID reach the renderer, the demo and the exporter; the rendered soak jobs carry them
    as target labels and the config passes promtool."""
    monkeypatch.delenv("SOAK_PIPELINE", raising=False)
    monkeypatch.delenv("SOAK_RUN_ID", raising=False)
    defaults = yaml.safe_load(_compose(compose_root, "config").stdout)["services"]["config"]["environment"]
    assert (defaults["SOAK_PIPELINE"], defaults["SOAK_RUN_ID"]) == ("demo", "compose")
    monkeypatch.setenv("SOAK_PIPELINE", "nightly")
    monkeypatch.setenv("SOAK_RUN_ID", "20261130T162200Z-3fa9")
    result = _compose(compose_root, "--profile", "demo", "config")
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    identity = {"SOAK_PIPELINE": "nightly", "SOAK_RUN_ID": "20261130T162200Z-3fa9"}
    for name in ("config", "demo", "exporter"):
        assert {k: services[name]["environment"].get(k) for k in identity} == identity, name
    config = services["config"]
    monkeypatch.setenv(render.CONFIG_DIR_ENV, str(compose_root))
    argv = config["command"][2:]
    argv[argv.index("--out") + 1] = str(tmp_path / "rendered")
    assert render.main(argv) == 0
    prom = yaml.safe_load((tmp_path / "rendered" / "prometheus.yml").read_text())
    labels = {j["job_name"]: j["static_configs"][0].get("labels") for j in prom["scrape_configs"]}
    expected = {"pipeline": "nightly", "run_id": "20261130T162200Z-3fa9"}
    assert labels["soak_probe"] == labels["soak_exporter"] == labels["pushgateway"] == expected
    assert not labels["prometheus"] and "external_labels" not in prom.get("global", {})
    rendered = tmp_path / "rendered" / "prometheus.yml"
    result = subprocess.run([servers.find_binary("promtool"), "check", "config", "--syntax-only", str(rendered)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alertmanager_config_passes_amtool(compose, tmp_path):
    service = compose["services"]["alertmanager"]
    fs = _as_seen_by("alertmanager", compose, tmp_path)
    config_file = fs / _command_flag(service, "--config.file").lstrip("/")
    result = subprocess.run([servers.find_binary("amtool"), "check-config", str(config_file)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    urls = {h["url"] for r in yaml.safe_load(config_file.read_text())["receivers"]
            for h in r.get("webhook_configs", [])}
    assert "http://alert-log:9096/alerts" in urls


def _default_ports() -> dict[str, int]:
    from soakwatch.stack.state import PORTS

    return {port.key: port.default for port in PORTS}


def test_images_are_pinned_and_soakwatch_is_built_here(compose):
    for name, service in compose["services"].items():
        image = service["image"]
        assert ":" in image and not image.endswith(":latest") and re.search(r":v?\d", image), f"{name}: {image}"
        assert ("build" in service) == image.startswith("soakwatch:"), name


def test_healthchecks_and_depends_on_conditions(compose):
    services = compose["services"]
    without = {name for name, s in services.items() if "healthcheck" not in s}
    assert without == {"config", "otel-collector"}  # a one-shot job; a distroless image with no shell or wget
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert rule["condition"] in ("service_healthy", "service_started", "service_completed_successfully")
            if rule["condition"] == "service_healthy":
                assert dependency not in without, f"{name} waits for {dependency}, which has no healthcheck"
    assert services["prometheus"]["depends_on"]["config"]["condition"] == "service_completed_successfully"


def test_only_needed_ports_are_published_on_loopback(compose):
    published = set()
    for service in compose["services"].values():
        for port in service.get("ports", []):
            host_ip, host_port, _ = str(port).split(":")
            assert host_ip == "127.0.0.1", port
            published.add(host_port)
    assert published == PUBLISHED


def test_named_volumes_and_profiles(compose):
    declared = set(compose["volumes"])
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source.startswith("/") or source in declared, volume
    profiles = {name: s.get("profiles") for name, s in compose["services"].items() if s.get("profiles")}
    assert profiles == {"demo": ["demo"], "influxdb": ["influxdb"]}


def test_grafana_provisioning_matches_the_dashboards(compose):
    binds = _binds(compose["services"]["grafana"])
    provisioning = Path(binds["/etc/grafana/provisioning"])
    datasources = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert [(d["uid"], d["type"], d["url"]) for d in datasources] == [(DATASOURCE.uid, "prometheus",
                                                                      "http://prometheus:9090")]
    providers = yaml.safe_load((provisioning / "dashboards" / "soakwatch.yml").read_text())["providers"]
    assert providers[0]["options"]["path"] in binds
    assert sorted(Path(binds[providers[0]["options"]["path"]]).glob("*.json"))


def test_otel_collector_sends_otlp_to_prometheus(compose):
    binds = _binds(compose["services"]["otel-collector"])
    config = yaml.safe_load(Path(binds["/etc/otelcol/collector.yml"]).read_text())
    pipeline = config["service"]["pipelines"]["metrics"]
    for kind in ("receivers", "processors", "exporters"):
        assert set(pipeline[kind]) <= set(config[kind]), kind
    endpoints = [e["metrics_endpoint"] for e in config["exporters"].values()]
    assert endpoints == ["http://prometheus:9090/api/v1/otlp/v1/metrics"]
    assert "--enable-feature=otlp-write-receiver" in compose["services"]["prometheus"]["command"]
