"""The layering rule: pages/ and handlers/ reach data through dal/ and auth/ only."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BANNED = ("models", "sqlalchemy", "bcrypt")


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_pages_and_handlers_never_import_models_sqlalchemy_or_bcrypt():
    files = [*ROOT.joinpath("pages").rglob("*.py"), *ROOT.joinpath("handlers").rglob("*.py")]
    assert len(files) >= 10
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in files
        for name in imported_modules(path)
        if name.split(".")[0] in BANNED
    ]
    assert offenders == []


def test_dtos_carry_no_secrets():
    from dataclasses import fields

    from dal.dto import SessionDTO, UserDTO

    names = {f.name for dto in (UserDTO, SessionDTO) for f in fields(dto)}
    assert not names & {"password_hash", "token_hash", "session_version"}


def lint_imports(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_layering_contract_holds_and_fails_on_a_wrong_way_import(tmp_path):
    kept = lint_imports(ROOT)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "2 kept, 0 broken" in kept.stdout
    # the same tree with one import pointing the wrong way: core reaching up into auth
    for name in ("core", "auth", "dal", "models", "pages", "handlers"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    with (tmp_path / "core" / "media.py").open("a") as module:
        module.write("\nimport auth.flows  # noqa\n")
    broken = lint_imports(tmp_path)
    assert broken.returncode == 1
    assert "core is not allowed to import auth" in broken.stdout
