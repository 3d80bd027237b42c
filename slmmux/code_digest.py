"""The code behind a rule, as one digest: what makes a code change rerun the jobs it changes.

Rules run ``python scripts/<name>.py`` in ``shell:``, so Snakemake by itself sees neither an edited
script nor an edited ``slmmux`` module. Each rule therefore carries, as a ``params`` entry, the
digest of its script and of every ``slmmux`` module the script imports (transitively, found by
reading the source, never by importing it), plus the package data those modules read (prompt
templates, bundled questions). Snakemake's ``params`` rerun trigger (on by default) then reruns a
job whose code changed, and everything downstream of it reruns because its inputs change; jobs
whose code did not change (generation, when grading is edited) are left alone. A Python file counts
by its syntax tree without docstrings: comments, docstrings and formatting rerun nothing.

What counts as "imported":

- ``import slmmux.x.y`` / ``from slmmux.x import y`` / relative imports inside the package, anywhere
  in the file (also inside functions: the scripts and a few library functions import lazily); the
  module named is followed, its parent packages' ``__init__.py`` are included but not followed
  (``from slmmux.answers.boxed import last_boxed`` depends on ``boxed.py``, not on all of grading,
  while ``from slmmux.answers import grade_samples`` follows ``answers/__init__.py``);
- a string constant naming a ``slmmux`` module (``python -m slmmux.answers._worker``);
- in a file outside the package (a script), an import of a module beside it (``from _group_options
  import ...`` in ``scripts/scale.py``: ``python scripts/scale.py`` puts scripts/ first on ``sys.path``),
  followed like a package module;
- data: a module holding a string constant equal to the name of a data folder (a folder without
  ``__init__.py``) beside it in its package, e.g. ``resources.files("slmmux") / "prompts"``, brings
  in that folder's files.

Only the standard library is used here: the workflow computes these digests while it parses.
"""

from __future__ import annotations

import ast
import copy
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = "slmmux"


def _module_file(root: Path, dotted: str) -> Path | None:
    """The file of module ``dotted`` under ``root`` (a package's ``__init__.py``), or None."""
    parts = dotted.split(".")
    base = root.joinpath(*parts)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _module_name(root: Path, path: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _with_parents(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def _parse(path: Path) -> ast.Module:
    st = path.stat()
    return _parse_cached(path, st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=256)
def _parse_cached(path: Path, mtime_ns: int, size: int) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _references(root: Path, path: Path) -> tuple[set[str], set[Path], set[Path]]:
    """Module names (candidates; may be attributes), data folders and, for a file outside the
    package, the modules beside it that one file refers to."""
    tree = _parse(path)
    is_package = path.name == "__init__.py"
    own = _module_name(root, path) if path.is_relative_to(root / PACKAGE) else ""
    package = own if is_package else own.rpartition(".")[0]
    names: set[str] = set()
    absolute: set[str] = set()  # top-level names of absolute imports: siblings of a script
    strings: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
            absolute.update(a.name.partition(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if not node.level and node.module:
                absolute.add(node.module.partition(".")[0])
            if node.level:
                if not package:
                    continue
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            names.add(base)
            # `from pkg import sub` may name a submodule
            names.update(f"{base}.{a.name}" for a in node.names if a.name != "*")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 200:
            strings.add(node.value)
    names.update(s for s in strings if s == PACKAGE or s.startswith(PACKAGE + "."))
    data: set[Path] = set()
    if own:
        here = path.parent
        for s in strings:
            if s and "/" not in s and s not in (".", "..") and (here / s).is_dir() \
                    and not (here / s / "__init__.py").exists():
                data.add(here / s)
    siblings: set[Path] = set()
    if not own:
        siblings = {f for f in (path.parent / f"{m}.py" for m in absolute if m != PACKAGE) if f.is_file() and f != path}
    return {n for n in names if n == PACKAGE or n.startswith(PACKAGE + ".")}, data, siblings


def code_files(script: str | Path, root: str | Path) -> list[Path]:
    """The script, the modules beside it that it imports, and every file of the ``slmmux`` package
    under ``root`` that they depend on, sorted."""
    root = Path(root).resolve()
    files: set[Path] = set()
    followed: set[Path] = set()
    todo = [Path(script).resolve()]
    while todo:
        path = todo.pop()
        if path in followed:
            continue
        followed.add(path)
        files.add(path)
        if path.suffix != ".py":
            continue
        names, data, siblings = _references(root, path)
        todo.extend(siblings)
        for name in names:
            *parents, _ = _with_parents(name)
            # the parents' __init__.py run too, but what they import is not used unless it is named
            files.update(f for f in (_module_file(root, d) for d in parents) if f is not None)
            f = _module_file(root, name)
            if f is not None:
                todo.append(f)
        for folder in data:
            todo.extend(p for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts)
    return sorted(files)


def _code_text(path: Path) -> bytes:
    """What of a file counts: a Python file's syntax tree without docstrings (comments, docstrings and
    formatting change no result, and a rerun of generation costs GPU hours); any other file's bytes."""
    if path.suffix != ".py":
        return path.read_bytes()
    tree = copy.deepcopy(_parse(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree, annotate_fields=False).encode()


def code_digest(script: str | Path, root: str | Path) -> str:
    """sha256 over the relative paths and code of :func:`code_files` (stable across checkouts)."""
    root = Path(root).resolve()
    h = hashlib.sha256()
    for f in code_files(script, root):
        h.update(str(f.relative_to(root)).encode() + b"\0")
        h.update(_code_text(f))
        h.update(b"\0")
    return h.hexdigest()
