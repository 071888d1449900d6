"""The VS Code extension compiles with tsc and packages into a .vsix with vsce (no VS Code needed).

CI: node 20+ and npm, then in lsp/vscode: `npm ci && npx tsc -p ./ && npx vsce package`."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

EXT = Path(__file__).resolve().parents[2] / "lsp" / "vscode"

pytestmark = pytest.mark.skipif(shutil.which("npm") is None or shutil.which("node") is None,
                                reason="node/npm not on PATH (CI: install Node.js 20+)")


def _run(cmd: list[str], cwd: Path, timeout: int = 600) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"{' '.join(cmd)} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"


def test_extension_compiles_and_packages(tmp_path):
    work = tmp_path / "vscode"
    shutil.copytree(EXT, work, ignore=shutil.ignore_patterns("node_modules", "out", "*.vsix"))
    _run(["npm", "ci", "--no-audit", "--no-fund"], work)
    _run(["npx", "tsc", "-p", "./"], work)
    assert (work / "out" / "extension.js").exists()
    _run(["npx", "vsce", "package", "--out", "nichelm.vsix"], work)
    with zipfile.ZipFile(work / "nichelm.vsix") as z:
        names = set(z.namelist())
        assert "extension/out/extension.js" in names
        assert "extension/node_modules/vscode-languageclient/package.json" in names
        assert not any(n.startswith("extension/src/") for n in names)  # sources stay out
        manifest = json.loads(z.read("extension/package.json"))
    props = manifest["contributes"]["configuration"]["properties"]
    assert {"nichelm.database", "nichelm.serverPath"} <= set(props)
    assert manifest["main"] == "./out/extension.js"
    assert "onLanguage:sql" in manifest["activationEvents"]
