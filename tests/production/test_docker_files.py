"""Static checks of docker/: the compose file, images, nginx and the example env file.

No Docker engine runs here, so these check what can be checked without one: the YAML
parses, every variable is documented, every path an image copies exists, nginx balances
the two replicas with sticky sessions and websocket upgrades, and secrets are not inlined.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from harness.nginx import check_config
from harness.paths import ROOT
from shop.secrets import SECRETS, InsecureSecret, check

DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "docker-compose.yml"
VAR = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?::?[-?][^}]*)?\}")
REQUIRED = re.compile(r"(?<!\$)\$\{([A-Z_][A-Z0-9_]*):\?[^}]*\}")
SECRET_NAMES = ("PASSWORD", "TOKEN", "SECRET")


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def env_example() -> dict[str, str]:
    values = {}
    for line in (DOCKER / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def dockerfiles() -> list[Path]:
    return sorted(DOCKER.glob("Dockerfile.*"))


def test_compose_parses_with_the_expected_services() -> None:
    services = compose()["services"]
    assert {"postgres", "redis", "rasa-1", "rasa-2", "actions", "storefront", "console", "nginx"} <= set(
        services
    )
    for name in ("postgres", "redis", "rasa-1", "rasa-2", "actions", "storefront", "console", "nginx"):
        assert "healthcheck" in services[name], name
    assert "pg_isready" in str(services["postgres"]["healthcheck"]["test"])
    assert "redis-cli" in str(services["redis"]["healthcheck"]["test"])
    assert "/health" in str(services["actions"]["healthcheck"]["test"])
    assert "localhost:$${RASA_PORT}/" in str(services["rasa-1"]["healthcheck"]["test"])


def test_every_compose_variable_is_in_the_example_env() -> None:
    used = set(VAR.findall(COMPOSE.read_text()))
    assert used, "compose should take its settings from the environment"
    assert used - set(env_example()) == set()


def test_rasa_replicas_get_every_variable_endpoints_yml_reads() -> None:
    needed = set(VAR.findall((ROOT / "endpoints.yml").read_text()))
    assert {"TRACKER_DIALECT", "LOCK_STORE_TYPE", "REDIS_HOST", "ACTION_ENDPOINT_URL"} <= needed
    for name in ("rasa-1", "rasa-2"):
        assert needed - set(compose()["services"][name]["environment"]) == set(), name
    documented = set(env_example()) | {"TRACKER_USER", "TRACKER_PASSWORD"}  # = POSTGRES_*
    assert needed - documented == set()


def test_example_env_selects_postgres_and_redis_and_holds_no_secrets() -> None:
    env = env_example()
    assert env["TRACKER_DIALECT"] == "postgresql" and env["LOCK_STORE_TYPE"] == "redis"
    for key, value in env.items():
        if any(word in key for word in SECRET_NAMES):
            assert value == "", f"{key} must be left for the operator to set"


def test_compose_inlines_no_secret() -> None:
    def walk(node: object, path: str = "") -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if (
                    isinstance(key, str)
                    and any(w in key.upper() for w in SECRET_NAMES)
                    and isinstance(value, str)
                ):
                    assert VAR.search(value), f"{path}.{key} is not taken from the environment"
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for item in node:
                walk(item, path)

    walk(compose())


@pytest.mark.parametrize("dockerfile", dockerfiles(), ids=lambda p: p.name)
def test_dockerfile_copies_only_paths_that_exist(dockerfile: Path) -> None:
    text = dockerfile.read_text()
    assert text.startswith("#") and "FROM python:3.10-slim" in text
    if dockerfile.name == "Dockerfile.web":
        # the web apps' own environment (.venv-web): a maintained aiohttp, not Rasa's pin
        assert "pip install --no-deps -r requirements-web.lock" in text
        assert "requirements.lock " not in text
    else:
        assert "pip install -r requirements.lock" in text
        assert "pip install --no-deps -r requirements-nodeps.txt" in text
    for line in text.splitlines():
        if line.startswith("COPY "):
            sources = [s for s in line.split()[1:-1] if not s.startswith("--")]
            for source in sources:
                if source != ".":
                    assert (ROOT / source).exists(), f"{dockerfile.name}: {source} missing"


def test_compose_build_files_and_mounts_exist() -> None:
    for name, service in compose()["services"].items():
        build = service.get("build")
        if build:
            assert (DOCKER / build["context"] / build["dockerfile"]).is_file(), name
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("."):
                assert (DOCKER / source).exists(), f"{name}: {source}"


@pytest.mark.parametrize("service", ["storefront", "console", "actions", "migrate"])
def test_compose_commands_name_modules_in_the_repo(service: str) -> None:
    spec = compose()["services"][service]
    command = " ".join(spec.get("command") or [])
    if service == "actions":
        # exec form: CMD ["python", "-m", "actions.server"]
        command = (DOCKER / "Dockerfile.actions").read_text().replace('", "', " ")
    modules = re.findall(r"python -m ([\w.]+)", command)
    assert modules
    for module in modules:
        path = ROOT / module.replace(".", "/")
        assert (path / "__main__.py").exists() or path.with_suffix(".py").exists() or module == "rasa_sdk"


def test_nginx_balances_two_sticky_replicas_with_websocket_upgrade() -> None:
    conf = (DOCKER / "nginx" / "nginx.conf").read_text()
    upstream = re.search(r"upstream rasa \{(.*?)\}", conf, re.S)
    assert upstream, "no rasa upstream"
    body = upstream.group(1)
    assert "ip_hash;" in body
    assert "server rasa-1:5005" in body and "server rasa-2:5005" in body
    assert "upstream storefront" in conf and "upstream console" in conf
    socket_io = re.search(r"location /socket.io/ \{(.*?)\}", conf, re.S)
    assert socket_io
    assert "proxy_set_header Upgrade $http_upgrade" in socket_io.group(1)
    assert "proxy_set_header Connection $connection_upgrade" in socket_io.group(1)
    assert "client_max_body_size" in conf
    locations = re.findall(r"location\s+[=~]*\s*(\S+)", conf)
    assert not any(loc.startswith(("/conversations", "/model")) for loc in locations)  # API internal


def test_nginx_accepts_the_compose_config(tmp_path: Path) -> None:
    """``nginx -t`` on docker/nginx/nginx.conf (nginx missing is a failure: make system-deps)."""
    conf = (DOCKER / "nginx" / "nginx.conf").read_text()
    # The compose service names only resolve inside the compose network.
    for host in ("rasa-1", "rasa-2", "storefront", "console"):
        conf = conf.replace(f"server {host}:", "server 127.0.0.1:")
    done = check_config(conf, tmp_path)
    assert done.returncode == 0, done.stderr


def test_entrypoint_requires_the_api_token() -> None:
    script = (DOCKER / "rasa-entrypoint.sh").read_text()
    assert "RASA_API_TOKEN:?" in script and "--auth-token" in script and "--enable-api" in script


def test_rasa_image_has_every_custom_component_and_the_spacy_folder_is_built() -> None:
    """config.yml's custom components are importable in the Rasa image; the spaCy folder exists there."""
    config = yaml.safe_load((ROOT / "config.yml").read_text())
    dockerfile = (DOCKER / "Dockerfile.rasa").read_text()
    copied = {line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")}
    custom = [c["name"] for c in config["pipeline"] if "." in c["name"]]
    assert custom, "expected the project's own NLU components in config.yml"
    for name in custom:
        assert name.split(".")[0] in copied, f"{name}: its package is not copied into the Rasa image"
    spacy = [c for c in config["pipeline"] if c["name"] == "SpacyNLP"]
    if spacy:
        entrypoint = (DOCKER / "rasa-entrypoint.sh").read_text()
        assert "python -m catalog_index.spacy_pipeline" in entrypoint
        assert spacy[0]["model"] == "var/spacy_catalog"  # the module's default folder under /app
        for service in ("rasa-1", "rasa-train"):
            assert "SHOP_DB_URL" in compose()["services"][service]["environment"], service


def test_compose_runs_every_shop_process_in_production() -> None:
    services = compose()["services"]
    for name in ("migrate", "rasa-train", "actions", "rasa-1", "rasa-2", "storefront", "console"):
        assert services[name]["environment"].get("SHOP_ENV") == "production", name
    for dockerfile in dockerfiles():
        assert "SHOP_ENV=production" in dockerfile.read_text(), dockerfile.name


def test_compose_requires_every_secret_from_the_operator() -> None:
    """Each secret is ``${NAME:?...}``: compose refuses to start while it is unset or blank."""
    text = COMPOSE.read_text()
    required = set(REQUIRED.findall(text))
    assert set(SECRETS) <= required
    for name in SECRETS:
        # never taken in a form with a default (``${NAME}`` or ``${NAME:-x}``)
        assert not re.search(r"\$\{" + name + r"(?::?-[^}]*)?\}", text), name


def test_each_service_gets_only_the_secrets_it_uses() -> None:
    services = compose()["services"]
    expected = {
        "actions": {"SHOP_IDENTITY_SECRET", "SHOP_ACTION_TOKEN"},
        "rasa-1": {"RASA_API_TOKEN", "SHOP_ACTION_TOKEN", "SHOP_SESSION_SECRET"},
        "storefront": {"SHOP_IDENTITY_SECRET", "SHOP_COOKIE_SECRET"},
        "console": {"RASA_API_TOKEN", "CONSOLE_SECRET"},
        "migrate": set(),
        "rasa-train": set(),
    }
    for name, secrets in expected.items():
        assert set(services[name]["environment"]) & set(SECRETS) == secrets, name


def test_example_env_has_a_refused_placeholder_for_every_secret() -> None:
    env = env_example()
    for name in SECRETS:
        assert name in env, f"{name} is not documented in docker/.env.example"
        with pytest.raises(InsecureSecret, match=name):
            check(name, env[name], {"SHOP_ENV": "production"})


def test_action_server_is_only_on_internal_networks_shared_with_rasa() -> None:
    spec = compose()
    services, networks = spec["services"], spec["networks"]
    action_nets = set(services["actions"]["networks"])
    assert action_nets and all(networks[n] and networks[n].get("internal") for n in action_nets)
    assert "ports" not in services["actions"]
    reach = {name for name, svc in services.items() if action_nets & set(svc.get("networks") or [])}
    # PostgreSQL and Redis share actions-data with it (they never call it); only Rasa calls it.
    assert reach == {"actions", "rasa-1", "rasa-2", "postgres", "redis"}
    callers = {name for name, svc in services.items() if "actions" in (svc.get("networks") or [])}
    assert callers == {"actions", "rasa-1", "rasa-2"}
    # Every service names its networks, so none falls back to compose's default network.
    assert all(svc.get("networks") for svc in services.values())
    assert services["actions"]["environment"]["ACTION_HOST"] == "0.0.0.0"


def test_action_image_runs_the_guarded_server() -> None:
    text = (DOCKER / "Dockerfile.actions").read_text()
    assert 'CMD ["python", "-m", "actions.server"]' in text
    assert "rasa_sdk --actions" not in text
    assert "token: ${SHOP_ACTION_TOKEN}" in (ROOT / "endpoints.yml").read_text()


def test_entrypoint_requires_the_action_token() -> None:
    assert "SHOP_ACTION_TOKEN:?" in (DOCKER / "rasa-entrypoint.sh").read_text()


def test_action_processes_are_set_and_share_their_limits_in_redis() -> None:
    actions = compose()["services"]["actions"]["environment"]
    env = env_example()
    # rasa_sdk forks this many processes per container; each needs the shared lookup counters
    assert actions["ACTION_SERVER_SANIC_WORKERS"] == "${ACTION_SERVER_SANIC_WORKERS}"
    assert int(env["ACTION_SERVER_SANIC_WORKERS"]) >= 1
    assert str(actions["SHOP_RATE_LIMIT_REDIS_URL"]).startswith("redis://")
    for name in ("rasa-1", "rasa-2"):
        assert "RASA_MAX_CONCURRENT_TURNS" in compose()["services"][name]["environment"], name
    assert int(env["RASA_MAX_CONCURRENT_TURNS"]) >= 1
