"""The deployment files are checked by tools, not only written, and agree with each other.

- the nginx config `make serve` runs, and deploy/nginx.conf (docker compose's copy of it), pass `nginx -t`;
- deploy/docker-compose.yml validates against the Compose Specification's JSON schema (vendored in
  deploy/schema/, see its README for source and licence);
- deploy/kubernetes/*.yaml validate, strictly (no unknown field), against the Kubernetes schemas bundled in
  `kubernetes-validate`, for the oldest and the newest version it knows;
- what ties them together holds: the proxy's upstreams are the compose file's replicas, the probes ask
  /_stcore/health on the app's port, the Service and the Ingress are sticky and reach the pods.
A wrong file of each kind is rejected, so that a pass means something. No server is started.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

from scripts.serve import COOKIE, check_config, nginx_binary, nginx_config

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
MANIFESTS = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
K8S_VERSIONS = ["1.27.0", kubernetes_validate.latest_version()]


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def replicas(spec: dict) -> list[str]:
    """The compose services that run the app's image."""
    return sorted(name for name, s in spec["services"].items() if s.get("image") == "optviz:latest")


def manifests() -> list[dict]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def by_kind(kind: str) -> dict:
    [doc] = [d for d in manifests() if d["kind"] == kind]
    return doc


def nginx_t(conf: Path, run_dir: Path) -> None:
    try:
        check_config(nginx_binary(), conf, run_dir)
    except RuntimeError as e:
        pytest.fail(str(e))


def test_the_config_make_serve_runs_passes_nginx_t(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(["127.0.0.1:18501", "127.0.0.1:18502"], "127.0.0.1:18500", tmp_path))
    nginx_t(conf, tmp_path)


def test_a_broken_nginx_config_is_rejected(tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(nginx_config(["127.0.0.1:18501"], "127.0.0.1:18500", tmp_path).replace("hash ", "hash_by "))
    with pytest.raises(RuntimeError, match="hash_by"):
        check_config(nginx_binary(), conf, tmp_path)


def test_compose_proxy_config_is_the_generated_one_for_its_replicas():
    upstreams = [f"{name}:8501" for name in replicas(compose())]
    assert upstreams == ["app1:8501", "app2:8501"]
    assert (DEPLOY / "nginx.conf").read_text() == nginx_config(upstreams, "80"), (
        "deploy/nginx.conf differs from scripts/serve.py's: regenerate it with "
        "`python scripts/serve.py --print-config --upstream app1:8501 --upstream app2:8501 > deploy/nginx.conf`")


def test_compose_proxy_config_passes_nginx_t(tmp_path):
    """The replicas' names resolve only inside compose's network; here each stands for a loopback address."""
    text = (DEPLOY / "nginx.conf").read_text()
    names = replicas(compose())
    for i, name in enumerate(names, start=1):
        text = re.sub(rf"\bserver {name}:", f"server 127.0.0.{i}:", text)
    assert "server app" not in text
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    nginx_t(conf, tmp_path)


def compose_errors(spec: dict) -> list[str]:
    schema = yaml.safe_load((DEPLOY / "schema" / "compose-spec.json").read_text())
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(spec)]


def test_compose_file_follows_the_compose_spec():
    assert compose_errors(compose()) == []


def test_a_wrong_compose_file_is_rejected():
    spec = compose()
    spec["services"]["proxy"]["depends_on"]["app1"]["condition"] = "service_ready"  # not a condition compose knows
    spec["services"]["app2"] = {**spec["services"]["app2"], "healthcheck": {"intervall": "5s"}}
    errors = compose_errors(spec)
    assert any("service_ready" in e for e in errors), errors
    assert any("intervall" in e for e in errors), errors


def test_compose_runs_the_replicas_behind_the_proxy_with_the_shared_config():
    spec = compose()
    names = replicas(spec)
    proxy = spec["services"]["proxy"]
    assert {n: d["condition"] for n, d in proxy["depends_on"].items()} == dict.fromkeys(names, "service_healthy")
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert proxy["ports"] == ["${OPTVIZ_PORT:-8080}:80"]
    for name in names:
        assert spec["services"][name]["build"]["context"] == ".."
        assert "STREAMLIT_SERVER_COOKIE_SECRET" in spec["services"][name]["environment"]
    # The image's health check, which depends_on waits for, asks Streamlit's own health endpoint.
    assert re.search(r"HEALTHCHECK[^\n]*\n[^\n]*_stcore/health", (ROOT / "Dockerfile").read_text())


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_kubernetes_manifests_follow_the_kubernetes_schemas(version):
    kinds = []
    for doc in manifests():
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as e:
            pytest.fail(f"{doc['kind']} {doc['metadata']['name']}: {e.message} at {list(e.path)}")
        kinds.append(doc["kind"])
    assert sorted(kinds) == ["Deployment", "Ingress", "Service"]


def test_a_wrong_kubernetes_manifest_is_rejected():
    service = by_kind("Service")
    service["spec"]["sessionAfinity"] = "ClientIP"
    with pytest.raises(kubernetes_validate.ValidationError, match="sessionAfinity"):
        kubernetes_validate.validate(service, K8S_VERSIONS[-1], strict=True)
    deployment = by_kind("Deployment")
    deployment["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError, match="two"):
        kubernetes_validate.validate(deployment, K8S_VERSIONS[-1], strict=True)


def test_kubernetes_probes_ask_streamlits_health_on_the_apps_port():
    pod = by_kind("Deployment")["spec"]["template"]["spec"]
    [container] = pod["containers"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": 8501}
    assert "EXPOSE 8501" in (ROOT / "Dockerfile").read_text()
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/_stcore/health", "port": "http"}, probe


def test_kubernetes_service_and_ingress_are_sticky_and_reach_the_pods():
    deployment, service, ingress = by_kind("Deployment"), by_kind("Service"), by_kind("Ingress")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert service["spec"]["sessionAffinity"] == "ClientIP"
    assert [p["targetPort"] for p in service["spec"]["ports"]] == ["http"]

    notes = ingress["metadata"]["annotations"]
    prefix = "nginx.ingress.kubernetes.io/"
    assert notes[prefix + "affinity"] == "cookie"
    assert notes[prefix + "session-cookie-name"] == COOKIE
    assert int(notes[prefix + "proxy-read-timeout"]) >= 3600  # an open tab is an open websocket
    backends = [p["backend"]["service"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
    assert backends == [{"name": service["metadata"]["name"], "port": {"name": "http"}}]
    assert "http" in {p["name"] for p in service["spec"]["ports"]}


def test_make_serve_runs_the_script_with_one_replica_per_core():
    out = subprocess.run(["make", "-n", "serve", "VENV=.venv"], cwd=ROOT, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert "bash scripts/ensure-nginx.sh" in lines
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    assert any(line.startswith(".venv/bin/python scripts/serve.py --replicas " + nproc + " ") for line in lines), lines


def test_compose_replicas_share_one_board_store_on_a_volume():
    """Class boards: every replica opens the same SQLite file, on a volume they all mount at one path, in a
    directory the image's non-root user owns (an empty named volume takes the image's directory's owner);
    OPTVIZ_BOARD_URL passes through for a PostgreSQL server instead."""
    spec = compose()
    names = replicas(spec)
    paths, mounts = set(), set()
    for name in names:
        service = spec["services"][name]
        env = service["environment"]
        paths.add(env["OPTVIZ_BOARD_DB"])
        assert env["OPTVIZ_BOARD_URL"] == "${OPTVIZ_BOARD_URL:-}"
        mounts.update(v for v in service["volumes"] if not v.startswith((".", "/")))
    [path], [mount] = paths, mounts
    volume, target = mount.split(":")[:2]
    assert volume in spec["volumes"]
    assert Path(path).parent == Path(target), (path, mount)
    assert f"install -d -o optviz -g optviz {target}" in (ROOT / "Dockerfile").read_text()


def test_kubernetes_pods_take_the_board_store_from_the_secret_or_a_local_file():
    pod = by_kind("Deployment")["spec"]["template"]["spec"]
    [container] = pod["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert env["OPTVIZ_BOARD_URL"]["valueFrom"]["secretKeyRef"] == {"name": "optviz", "key": "board-url",
                                                                   "optional": True}
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    [name] = [n for n, p in mounts.items() if Path(env["OPTVIZ_BOARD_DB"]["value"]).parent == Path(p)]
    assert "emptyDir" in volumes[name]


def test_the_images_postgresql_driver_is_the_packages_extra():
    """`--build-arg POSTGRES=1` installs the driver `pip install optviz[postgres]` would."""
    extra = re.search(r'^postgres = \["([^"]+)"\]', (ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert f"pip install '{extra}'" in (ROOT / "Dockerfile").read_text()
