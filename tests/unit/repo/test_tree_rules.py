"""The renovation's size rules, kept: no resolver module over 500 lines, and no function in
mast/ over 80 lines unless its docstring says why ("… 80 lines …")."""

from __future__ import annotations

import ast
from pathlib import Path

import mast

MAST = Path(mast.__file__).parent
MAX_RESOLVER_MODULE = 500
MAX_FUNCTION = 80


def long_functions(root: Path, limit: int = MAX_FUNCTION) -> list[str]:
    """Functions over `limit` lines whose docstring gives no reason, as path:line name."""
    found = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > limit and f"{limit} lines" not in (ast.get_docstring(node) or ""):
                found.append(f"{path.relative_to(root.parent)}:{node.lineno} {node.name}")
    return found


def test_no_resolver_module_is_over_500_lines() -> None:
    sizes = {
        str(p.relative_to(MAST.parent)): len(p.read_text(encoding="utf-8").splitlines())
        for p in (MAST / "resolver").rglob("*.py")
    }
    assert sizes, "the resolver's modules are found"
    assert {p: n for p, n in sizes.items() if n > MAX_RESOLVER_MODULE} == {}


def test_every_function_over_80_lines_says_why() -> None:
    assert long_functions(MAST) == []


def test_the_function_rule_finds_a_long_function_without_a_reason(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION))
    (package / "m.py").write_text(
        f'def quiet():\n    """Does things."""\n{body}\n'
        f'def explained():\n    """Over {MAX_FUNCTION} lines: one table."""\n{body}',
        encoding="utf-8",
    )
    assert long_functions(package) == ["pkg/m.py:1 quiet"]
