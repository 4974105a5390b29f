"""The scripts a new user runs: scripts/test.sh runs every stage even when one fails."""

import os
import shutil
import stat
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def tree(tmp_path):
    """scripts/test.sh in a checkout of its own whose build folders exist."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(os.path.join(ROOT, "scripts", "test.sh"), tmp_path / "scripts" / "test.sh")
    for b in ("test", "asan"):
        (tmp_path / "build" / b).mkdir(parents=True)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.c").write_text("int a;\n")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    return bindir


def fake(path, body):
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, os.stat(path).st_mode | stat.S_IEXEC)


def test_every_stage_runs_after_a_failure_and_the_run_fails(tmp_path):
    # scripts/test.sh in a tree of its own, with every tool it calls replaced by one that
    # records the call; the first build's suite fails.
    bindir = tree(tmp_path)
    calls = tmp_path / "calls"
    fake(tmp_path / "scripts" / "bootstrap.sh", "")
    fake(tmp_path / "scripts" / "fuzz.sh", f'echo "fuzz $*" >> {calls}\n')
    fake(tmp_path / "scripts" / "docker-check.sh", f'echo docker >> {calls}\n')
    fake(bindir / "cmake", f'echo "cmake $*" >> {calls}\n')
    fake(bindir / "cppcheck", f'echo cppcheck >> {calls}\n')
    fake(bindir / "clang-format", f'echo "clang-format $1 $2" >> {calls}\n')
    fake(bindir / "ctest", f'echo "ctest $(basename "$PWD") $HCWATCH_WRAP" >> {calls}\n'
                           '[ "$(basename "$PWD")" != test ] || [ -n "${HCWATCH_WRAP:-}" ]\n')
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    env.pop("HCWATCH_WRAP", None)
    r = subprocess.run(["sh", str(tmp_path / "scripts" / "test.sh")], env=env,
                       capture_output=True, text=True, timeout=60)
    log = calls.read_text()
    assert r.returncode == 1, r.stdout + r.stderr
    # The stages after the failure ran all the same.
    assert "ctest asan" in log and "valgrind" in log and "cppcheck" in log, log
    assert "clang-format --dry-run --Werror" in log, log
    assert "fuzz 5" in log and "docker" in log, log
    # The failure is named at the end; the stages that passed are not.
    tail = r.stdout[r.stdout.rindex("== FAILED:"):]
    assert "build/test: every suite" in tail and "asan" not in tail and "cppcheck" not in tail


def run_with_tools_that_pass(tmp_path, docker_check=""):
    """scripts/test.sh with every tool a stub that succeeds, and docker-check.sh as given."""
    bindir = tree(tmp_path)
    fake(tmp_path / "scripts" / "bootstrap.sh", "")
    fake(tmp_path / "scripts" / "fuzz.sh", "")
    fake(tmp_path / "scripts" / "docker-check.sh", docker_check)
    for tool in ("cmake", "ctest", "cppcheck", "clang-format"):
        fake(bindir / tool, "")
    env = dict(os.environ, PATH=f"{bindir}:{os.environ['PATH']}")
    return subprocess.run(["sh", str(tmp_path / "scripts" / "test.sh")], env=env,
                          capture_output=True, text=True, timeout=60)


def test_a_clean_run_passes(tmp_path):
    r = run_with_tools_that_pass(tmp_path)
    assert r.returncode == 0 and "every stage passed" in r.stdout, r.stdout + r.stderr


def test_a_stage_that_cannot_run_here_is_skipped_and_said(tmp_path):
    """Where no Docker engine can run, the container check says so and the run still passes."""
    r = run_with_tools_that_pass(tmp_path, "echo 'docker-check: SKIPPED: no engine'\nexit 77\n")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "== SKIPPED:" in r.stdout and "the container image" in r.stdout
