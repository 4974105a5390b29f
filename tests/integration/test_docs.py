"""The documents agree with the code: every configuration key is in the reference with its
default, and every link between the documents leads somewhere."""

import os
import re
import subprocess

from harness import HCWATCH

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = [os.path.join(ROOT, "README.md")] + sorted(
    os.path.join(ROOT, "docs", f) for f in os.listdir(os.path.join(ROOT, "docs"))
    if f.endswith(".md")) + sorted(
    os.path.join(ROOT, "src", "rules", r, "README.md")
    for r in os.listdir(os.path.join(ROOT, "src", "rules"))
    if os.path.isdir(os.path.join(ROOT, "src", "rules", r)))


def effective_defaults():
    """What check-config prints for the example file: every key of every fixed section."""
    env = dict(os.environ, HCWATCH_BIND_ENABLED="false")
    r = subprocess.run([HCWATCH, "check-config", "-c",
                        os.path.join(ROOT, "conf", "hcwatch.conf.example")],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    keys, section = {}, None
    for line in r.stdout.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif " = " in line or line.endswith(" ="):
            k, _, v = line.partition(" =")
            keys[(section, k)] = v.strip()
    return keys


def reference():
    """(section, key) -> default as docs/configuration.md gives it."""
    with open(os.path.join(ROOT, "docs", "configuration.md"), encoding="utf-8") as f:
        text = f.read()
    out, section = {}, None
    for line in text.splitlines():
        m = re.match(r"### \[(\w+)", line)
        if m:
            section = m.group(1)
        m = re.match(r"\| `(\w+)` \| (`([^`]*)`|\(empty\)) \|", line)
        if m and section:
            out[(section, m.group(1))] = m.group(3) or ""
    return out


def test_every_key_is_in_the_reference_with_its_default():
    keys, ref = effective_defaults(), reference()
    assert len(keys) > 80
    for (section, key), value in keys.items():
        assert (section, key) in ref, f"[{section}] {key} is not in docs/configuration.md"
        if (section, key) != ("bind", "enabled"):
            assert ref[(section, key)] == value, f"[{section}] {key}: docs say " \
                f"{ref[(section, key)]!r}, hcwatch uses {value!r}"
    fixed = {s for s, _ in keys}
    stale = [k for k in ref if k[0] in fixed and k not in keys]
    assert not stale, f"documented keys hcwatch does not know: {stale}"


def slug(heading):
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(path):
    with open(path, encoding="utf-8") as f:
        return {slug(m.group(1)) for m in re.finditer(r"^#+ (.*)$", f.read(), re.M)}


def test_links_between_documents_lead_somewhere():
    broken = []
    for doc in DOCS:
        with open(doc, encoding="utf-8") as f:
            text = f.read()
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+://", target) or target.startswith("mailto:"):
                continue
            path, _, frag = target.partition("#")
            full = os.path.normpath(os.path.join(os.path.dirname(doc), path)) if path else doc
            if not os.path.exists(full):
                broken.append(f"{os.path.relpath(doc, ROOT)}: {target}")
            elif frag and full.endswith(".md") and frag not in anchors(full):
                broken.append(f"{os.path.relpath(doc, ROOT)}: {target} (no such heading)")
    assert not broken, "\n".join(broken)
