"""The repository stands alone: nothing it tracks reads or cites a folder beside it, and the
files its tests read are inside it."""
from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# written in two parts so that this file does not find itself
SIBLING = ".." + "/shared"


UNTRACKED = {".git", ".venv", "node_modules", "instance", "test-artifacts", ".pytest_cache",
             "__pycache__"}


def _tracked() -> list[Path]:
    """The files git tracks; outside a git checkout (an unpacked release), every file of
    the tree but the installed and generated ones."""
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                             check=True).stdout
        return [ROOT / name for name in out.decode().split("\0") if name]
    except (OSError, subprocess.CalledProcessError):
        return [path for path in ROOT.rglob("*")
                if path.is_file() and not UNTRACKED & set(path.relative_to(ROOT).parts)]


def test_no_tracked_file_reads_or_cites_a_sibling_folder():
    offenders = []
    for path in _tracked():
        if not path.is_file() or path.suffix in (".png", ".jpg", ".ico") or "vendor" in path.parts:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for number, line in enumerate(text.splitlines(), 1):
            if SIBLING in line:
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "\n".join(offenders)


def test_the_documents_the_readme_links_exist():
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(((?:docs|bench|miniprogram_stub)/[^)#\s]+)", readme)
    links += re.findall(r'src="((?:docs)/[^"]+)"', readme)
    assert links
    missing = sorted({link for link in links if not (ROOT / link).exists()})
    assert not missing, missing


def test_the_open311_schemas_are_in_the_repository():
    schemas = ROOT / "tests" / "open311_schemas"
    for name in ("request.json", "requests.json", "service.json", "services.json",
                 "service-definition.json"):
        assert (schemas / name).is_file(), name
