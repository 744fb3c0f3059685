"""The layers import only downward (README "Architecture"), counting imports inside
functions too:

1 foundation  callboard (the package root) and callboard.core: settings, i18n, formatting
2 data        data.*: schema, migrations, the executor, queries, importers, access model
3 reports     callboard.reports: the registry, runners, results, pure figures
4 exporters   exporters.*: CSV/XLSX/PDF/figure bytes
5 scheduler   scheduler.*: its own process
6 web         callboard.web, dashboards, app: everything that imports Dash or Flask
7 CLI         callboard.cli

Dash, Flask, Werkzeug and gunicorn appear only in the web layer (and the CLI above it, which
starts the server); typer only in the CLI.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("app.py", "callboard", "dashboards", "data", "exporters", "scheduler")
LAYERS = ("foundation", "data", "reports", "exporters", "scheduler", "web", "cli")
WEB_ONLY = ("dash", "dash_ag_grid", "dash_bootstrap_components", "flask", "flask_caching", "werkzeug", "gunicorn")
CLI_ONLY = ("typer",)


def layer_of(module: str) -> str | None:
    """The layer of one of our modules (None: not ours)."""
    top = module.split(".")[0]
    if top == "callboard":
        second = module.split(".")[1] if "." in module else ""
        return {"": "foundation", "core": "foundation", "reports": "reports", "web": "web",
                "cli": "cli"}.get(second, "foundation" if second.startswith("__") else None) or "unknown"
    return {"data": "data", "exporters": "exporters", "scheduler": "scheduler", "dashboards": "web",
            "app": "web"}.get(top)


def module_of(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path):
    """(line, imported module) for every import in the file, at any depth."""
    module = module_of(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            yield node.lineno, base
            for alias in node.names:  # `from callboard import reports` imports callboard.reports
                if layer_of(base) is not None and "." not in alias.name:
                    candidate = f"{base}.{alias.name}"
                    if (ROOT / candidate.replace(".", "/")).is_dir() or \
                            (ROOT / (candidate.replace(".", "/") + ".py")).exists():
                        yield node.lineno, candidate


def source_files():
    for entry in PACKAGES:
        path = ROOT / entry
        yield from ([path] if path.is_file() else sorted(path.rglob("*.py")))


def violations() -> list[str]:
    found = []
    for path in source_files():
        here = layer_of(module_of(path))
        assert here in LAYERS, f"{path}: not in any layer"
        for line, target in imports(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            there = layer_of(target)
            if there is not None and LAYERS.index(there) > LAYERS.index(here):
                found.append(f"{where}: {here} imports {target} ({there})")
            top = target.split(".")[0]
            if top in WEB_ONLY and here not in ("web", "cli"):  # the CLI starts the web server
                found.append(f"{where}: {here} imports {target} (web only)")
            if top in CLI_ONLY and here != "cli":
                found.append(f"{where}: {here} imports {target} (CLI only)")
    return found


def test_layers_import_only_downward():
    found = violations()
    assert not found, "imports that point up or reach the wrong framework:\n" + "\n".join(found)


def test_the_check_sees_an_upward_import_inside_a_function():
    """The check itself: a data module importing the web layer inside a function is caught."""
    probe = ROOT / "data" / "_architecture_probe.py"
    probe.write_text("def f():\n    from callboard.web import access\n    import flask\n", encoding="utf-8")
    try:
        found = [v for v in violations() if "_architecture_probe" in v]
    finally:
        probe.unlink()
    assert found == ["data/_architecture_probe.py:2: data imports callboard.web (web)",
                     "data/_architecture_probe.py:2: data imports callboard.web.access (web)",
                     "data/_architecture_probe.py:3: data imports flask (web only)"]
