"""The layering rule: pages/ and handlers/ reach data through dal/ and auth/ only."""

import ast
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
