"""docker-compose.yml and the Dockerfile, kept honest without a Docker engine: every file,
port, host and variable they name exists and agrees with the configuration, the runtime image
has every library the binaries link, and the compose setup, run with the real binaries on
this machine, migrates, serves and verifies a notification signed with its demo key."""

import os
import re
import shutil
import subprocess
import urllib.parse

import pytest
import yaml

from harness import HCWATCH, SIM, Hcwatch, HuaweiSim, free_port, sim_bind, wait_until

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
COMPOSE = os.path.join(ROOT, "docker-compose.yml")
DOCKERFILE = os.path.join(ROOT, "Dockerfile")
EXAMPLE = os.path.join(ROOT, "conf", "hcwatch.conf.example")
# Started once and finished before the others start: no health check, a completion instead.
ONE_SHOT = {"demo-keys", "migrate"}


@pytest.fixture(scope="module")
def compose():
    with open(COMPOSE, encoding="utf-8") as f:
        return yaml.safe_load(f)


def mounts(service):
    """(host source, container target) of each volume; named volumes have no ./ source."""
    out = []
    for v in service.get("volumes", []):
        parts = v.split(":")
        out.append((parts[0], parts[1]))
    return out


def host_path(service, target):
    """The repository file a container path comes from, through the service's bind mounts."""
    for src, dst in mounts(service):
        if src.startswith("./") and target == dst:
            return os.path.join(ROOT, src[2:])
        if src.startswith("./") and target.startswith(dst + "/"):
            return os.path.join(ROOT, src[2:], os.path.relpath(target, dst))
    return None


def ini(path):
    """The sections and keys of an INI file as hcwatch reads it (comments are ';')."""
    sections, cur = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith(";"):
                continue
            if line.startswith("["):
                cur = sections.setdefault(line.strip("[]"), {})
            else:
                k, _, v = line.partition("=")
                cur[k.strip()] = v.strip()
    return sections


def env_name(*parts):
    return "HCWATCH_" + "_".join(re.sub(r"[^A-Za-z0-9]", "_", p).upper() for p in parts)


def known_env(conf):
    """Every variable hcwatch reads: the example's keys, and the compose config's sections'."""
    names = {"HCWATCH_CONFIG"}
    example = ini(EXAMPLE)
    for section, keys in example.items():
        names |= {env_name(section, k) for k in keys}
    # Named sections take the keys of the commented examples in the example file.
    with open(EXAMPLE, encoding="utf-8") as f:
        text = f.read()
    dest_keys = set(re.findall(r"^; ([a-z_]+) =", text, re.M))
    for section in conf:
        kind, _, name = section.partition(" ")
        if name:
            names |= {env_name(kind, name, k) for k in dest_keys | {"secret", "password"}}
    return names


def url_hostport(url):
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port


def test_every_file_named_exists(compose):
    for name, svc in compose["services"].items():
        for src, dst in mounts(svc):
            if src.startswith("./"):
                assert os.path.exists(os.path.join(ROOT, src[2:])), f"{name}: {src}"
            else:
                assert src in compose["volumes"], f"{name}: volume {src} is not declared"
        if "build" in svc:
            assert os.path.exists(os.path.join(ROOT, svc["build"], "Dockerfile")), name
    with open(DOCKERFILE, encoding="utf-8") as f:
        for src in re.findall(r"^COPY (?!--from)(\S+)", f.read(), re.M):
            assert os.path.exists(os.path.join(ROOT, src)), f"Dockerfile COPY {src}"


def test_images_are_pinned_and_ours_is_built(compose):
    ours = [n for n, s in compose["services"].items() if s.get("image") == "hcwatch:local"]
    assert [n for n in ours if "build" in compose["services"][n]] == ["demo-keys"], \
        "one service builds the image the others use"
    for name, svc in compose["services"].items():
        image = svc["image"]
        assert ":" in image and not image.endswith(":latest"), f"{name}: pin {image}"


def test_health_checks_and_start_order(compose):
    services = compose["services"]
    for name, svc in services.items():
        if name in ONE_SHOT:
            assert "healthcheck" not in svc, name
        else:
            assert svc["healthcheck"]["test"], f"{name} has no health check"
        for dep, cond in svc.get("depends_on", {}).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            want = ("service_completed_successfully" if dep in ONE_SHOT
                    else "service_healthy")
            assert cond["condition"] == want, f"{name} -> {dep}"
    # Migrate, then serve.
    assert services["migrate"]["command"] == ["migrate"]
    assert services["hcwatch"]["command"] == ["serve"]
    assert "migrate" in services["hcwatch"]["depends_on"]
    # Health checks that run curl do so in our image, which installs it.
    with open(DOCKERFILE, encoding="utf-8") as f:
        runtime = f.read().split("FROM debian:12-slim", 1)[1]
    for name, svc in services.items():
        test = svc.get("healthcheck", {}).get("test", [])
        if "curl" in test:
            assert svc["image"] == "hcwatch:local" and re.search(r"\bcurl\b", runtime), name


def test_ports_hosts_and_variables_agree_with_the_configuration(compose):
    services = compose["services"]
    hc = services["hcwatch"]
    env = hc["environment"]
    assert services["migrate"]["environment"] == env
    conf_path = host_path(hc, env["HCWATCH_CONFIG"])
    assert conf_path and os.path.exists(conf_path)
    conf = ini(conf_path)

    # Every variable is one hcwatch reads.
    unknown = set(env) - known_env(conf)
    assert not unknown, f"variables hcwatch does not read: {unknown}"

    # hcwatch listens where its port, and its health check, point.
    listen_port = int(conf["server"]["listen"].rsplit(":", 1)[1])
    assert conf["server"]["listen"].startswith("0.0.0.0:"), "reachable from the other containers"
    assert [p.split(":")[1] for p in hc["ports"]] == [str(listen_port)]
    assert f"127.0.0.1:{listen_port}/readyz" in " ".join(hc["healthcheck"]["test"])

    # The simulator listens where hcwatch calls it.
    sim = services["hcwatch-sim"]
    sim_listen = sim["command"][sim["command"].index("--listen") + 1]
    sim_port = int(sim_listen.rsplit(":", 1)[1])
    assert sim_listen.startswith("0.0.0.0:")
    assert [p.split(":")[1] for p in sim["ports"]] == [str(sim_port)]
    assert f"127.0.0.1:{sim_port}/" in " ".join(sim["healthcheck"]["test"])
    urls = [conf["huawei"]["endpoint"], conf["huawei"]["iam_endpoint"]] + \
        [kv["url"] for s, kv in conf.items() if s.startswith("destination ")]
    for url in urls:
        host, port = url_hostport(url)
        assert host in services, f"{url}: {host} is not a service"
        if host == "hcwatch-sim":
            assert port == sim_port, url
        elif host == "mailpit":
            assert port == 1025, f"{url}: Mailpit takes mail on 1025"

    # The database: the postgres service's user, password and database.
    pg = services["postgres"]["environment"]
    u = urllib.parse.urlsplit(env["HCWATCH_DATABASE_URL"])
    assert (u.hostname, u.port or 5432) == ("postgres", 5432)
    assert (u.username, u.password, u.path.lstrip("/")) == (
        pg["POSTGRES_USER"], pg["POSTGRES_PASSWORD"], pg["POSTGRES_DB"])

    # Grafana logs in as the role the init script creates and migrate grants the views to.
    graf = services["grafana"]
    genv = graf["environment"]
    init = host_path(services["postgres"], "/docker-entrypoint-initdb.d/10-grafana-role.sql")
    with open(init, encoding="utf-8") as f:
        role_sql = f.read()
    assert f"CREATE ROLE {genv['HCWATCH_PG_USER']} LOGIN PASSWORD '{genv['HCWATCH_PG_PASSWORD']}'" \
        in role_sql
    assert conf["database"]["dashboard_roles"] == genv["HCWATCH_PG_USER"]
    assert genv["HCWATCH_PG_HOST"] == "postgres:5432" and genv["HCWATCH_PG_DB"] == u.path[1:]
    prov = host_path(graf, "/etc/grafana/provisioning")
    used = set()
    for dirpath, _, files in os.walk(prov):
        for fn in files:
            with open(os.path.join(dirpath, fn), encoding="utf-8") as f:
                used |= set(re.findall(r"\$\{(\w+)\}", f.read()))
    assert used and used <= set(genv), f"provisioning needs {used - set(genv)}"
    with open(os.path.join(prov, "dashboards", "hcwatch.yaml"), encoding="utf-8") as f:
        path = yaml.safe_load(f)["providers"][0]["options"]["path"]
    assert host_path(graf, path) and os.listdir(host_path(graf, path))


def test_runtime_image_has_every_library_the_binaries_link():
    with open(DOCKERFILE, encoding="utf-8") as f:
        runtime = f.read().split("FROM debian:12-slim", 1)[1]
    installed = set(re.findall(r"[a-z0-9][a-z0-9.+-]+", runtime.split("apt-get install", 1)[1]
                               .split("&&", 1)[0]))
    for binary in (HCWATCH, SIM):
        # Only what the binary names itself: the packages bring their own dependencies.
        needed = re.findall(r"NEEDED\s+(\S+)", subprocess.run(
            ["objdump", "-p", binary], capture_output=True, text=True, check=True).stdout)
        paths = dict(re.findall(r"^\s*(\S+) => (/\S+)", subprocess.run(
            ["ldd", binary], capture_output=True, text=True, check=True).stdout, re.M))
        assert needed
        for soname in needed:
            lib = paths[soname]
            r = subprocess.run(["dpkg", "-S", lib], capture_output=True, text=True)
            if r.returncode != 0:
                r = subprocess.run(["dpkg", "-S", os.path.realpath(lib)], capture_output=True,
                                   text=True)
            assert r.returncode == 0, f"{lib}: no Debian package owns it"
            pkg = r.stdout.split(":", 1)[0]
            if pkg in ("libc6", "libgcc-s1"):
                continue    # in every Debian image
            if pkg.startswith(("libasan", "libubsan")):
                continue    # the sanitizer build's; the image is a release build
            assert pkg in installed, f"{os.path.basename(binary)} links {soname} from {pkg}, " \
                                     f"which the runtime stage does not install"


def test_build_stage_configures_from_what_it_copies(tmp_path):
    with open(DOCKERFILE, encoding="utf-8") as f:
        text = f.read()
    src = tmp_path / "src"
    src.mkdir()
    for what in re.findall(r"^COPY (?!--from)(\S+)", text, re.M):
        p = os.path.join(ROOT, what)
        if os.path.isdir(p):
            shutil.copytree(p, src / what)
        else:
            shutil.copy(p, src / what)
    flags = re.search(r"cmake -S /src -B /build (.*?) \\", text).group(1).split()
    r = subprocess.run(["cmake", "-S", str(src), "-B", str(tmp_path / "build"), *flags],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_the_compose_setup_runs(compose, workdir, pg, db, tmp_path):
    """The services' own commands and configuration, with the containers' hosts and paths
    mapped onto this machine: keys made, migrated, served, a notification verified."""
    services = compose["services"]
    keys = tmp_path / "keys"
    keys.mkdir()

    def local(arg):
        return arg.replace("/var/lib/hcwatch/keys", str(keys))
    r = subprocess.run([SIM, *map(local, services["demo-keys"]["command"])], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr

    sim = HuaweiSim(workdir, "--customers", "2")
    try:
        hc = services["hcwatch"]
        env = dict(hc["environment"])
        with open(host_path(hc, env["HCWATCH_CONFIG"]), encoding="utf-8") as f:
            text = f.read()
        port = free_port()
        text = local(text).replace("http://hcwatch-sim:9480", sim.url) \
            .replace("0.0.0.0:8080", f"127.0.0.1:{port}")
        conf = tmp_path / "hcwatch.conf"
        conf.write_text(text, encoding="utf-8")
        env.update({"HCWATCH_CONFIG": str(conf), "HCWATCH_DATABASE_URL": db.url,
                    "PATH": os.environ["PATH"]})
        db.query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'grafana')"
                 " THEN CREATE ROLE grafana LOGIN; END IF; END $$")
        for args in (["check-config"], services["migrate"]["command"]):
            r = subprocess.run([HCWATCH, *args], env=env, capture_output=True, text=True)
            assert r.returncode == 0, r.stdout + r.stderr
        assert db.scalar("SELECT has_table_privilege('grafana', 'dashboard.alerts', 'SELECT')")
        h = Hcwatch(workdir, db.url)
        h.conf, h.port = str(conf), port
        h.start(env=env)
        try:
            assert h.request("GET", "/readyz").status == 200
            key = os.path.join(keys, "huawei.key")
            # No success_url in the demo: the customer sees hcwatch's own page.
            assert sim_bind(f"http://127.0.0.1:{port}/huawei/bind", key, "--domain-id", "d1")[0] \
                == 200
            assert db.query("SELECT status, customer_id FROM callback_events") == [
                ("accepted", "d1")]
            wait_until(lambda: db.scalar("SELECT count(*) FROM poll_runs WHERE status = 'ok'"),
                       30, "the poller against the simulator")
        finally:
            assert h.stop() == 0, h.logtext()[-3000:]
    finally:
        sim.stop()
