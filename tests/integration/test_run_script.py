"""scripts/run.sh as a new user runs it: the commands it prints work as printed, in a new shell,
and a second run while one is up says so instead of failing inside pg_ctl."""

import os
import re
import shutil
import signal
import subprocess
import tempfile

from harness import HCWATCH, free_port, wait_until

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Run:
    """sh scripts/run.sh in a session of its own, its output collected as it comes."""

    def __init__(self, env):
        self.out_path = tempfile.mktemp(prefix="hcwatch-run-", suffix=".out")
        self.out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(["sh", os.path.join(ROOT, "scripts", "run.sh")], env=env,
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def text(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        """Ctrl-C, as a user would; returns everything it printed."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()
        text = self.text()
        os.unlink(self.out_path)
        return text


def test_printed_commands_work_and_a_second_run_says_one_is_running():
    var = tempfile.mkdtemp(prefix="hcwatch-var-")
    os.chmod(var, 0o755)            # PostgreSQL runs as 'nobody' when we are root
    env = {k: v for k, v in os.environ.items() if not k.startswith("HCWATCH_")}
    env.update({"HCWATCH_VAR_DIR": var, "HCWATCH_BIN_DIR": os.path.dirname(HCWATCH),
                "HCWATCH_PORT": str(free_port()), "HCWATCH_SIM_PORT": str(free_port()),
                "HCWATCH_SMTP_PORT": str(free_port()), "HCWATCH_PG_PORT": str(free_port())})
    first = Run(env)
    try:
        wait_until(lambda: "Ctrl-C stops" in first.text() or first.proc.poll() is not None,
                   240, "run.sh to say hcwatch is running")
        text = first.text()
        assert "hcwatch is running." in text, text
        # The printed commands, in a new shell that has none of run.sh's environment.
        clean = {k: v for k, v in env.items() if not k.startswith("HCWATCH_")}
        commands = [ln.strip() for ln in text.splitlines()
                    if re.match(r"\s+(psql |\S*hcwatch -c )", ln)]
        assert any("alerts list" in c for c in commands) and \
            any(c.startswith("psql") for c in commands), text
        for c in commands:
            r = subprocess.run(c, shell=True, env=clean, capture_output=True, text=True,
                               timeout=60)
            assert r.returncode == 0, (c, r.stdout, r.stderr)
        # Any other command on the demo's configuration, likewise: it names its database.
        r = subprocess.run([HCWATCH, "-c", os.path.join(var, "hcwatch.conf"), "alerts",
                            "deliveries"], env=clean, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        # A second run on the same folder.
        second = subprocess.run(["sh", os.path.join(ROOT, "scripts", "run.sh")], env=env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 1
        assert "already running (pid" in second.stderr and "server.log" in second.stderr, \
            second.stderr
        assert first.proc.poll() is None              # untouched by the second
        final = first.stop()
        # Ctrl-C stopped everything it started, and the next run may start.
        assert "PostgreSQL stopped" in final, final
        assert not os.path.exists(os.path.join(var, "run.pid"))
    finally:
        if first.proc.poll() is None:
            first.stop()
        shutil.rmtree(var, ignore_errors=True)
