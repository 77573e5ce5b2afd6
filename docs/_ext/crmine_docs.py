"""Griffe extension for crmine's API pages (loaded by mkdocstrings, see mkdocs.yml).

crmine's numpydoc docstrings use Sphinx roles (``:class:`TransactionFeatures```)
and group parameters that share a type (``customer, order, time : str``).
mkdocstrings renders neither: roles stay raw text and a grouped line gives
every parameter the first default.  Before rendering, this extension

* turns each role into an *optional* cross-reference
  (``<autoref identifier=... optional>``): a link when the target is on a
  page of the site, plain code otherwise (never a broken link, never a
  warning), resolving short names through the enclosing class and module and
  through ``crmine``'s public names;
* splits grouped parameter lines into one entry per parameter, each with its
  own default taken from the signature.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_ROLE = re.compile(
    r":(?:py:)?(?P<role>class|func|meth|attr|mod|data|obj|exc|const|ref|term|doc|math)"
    r":`(?P<body>[^`]+)`"
)
_MATH_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)\.\. math::[ \t]*\n((?:(?P=indent)[ \t]+.*\n|[ \t]*\n)+)", re.M
)
_GROUP = re.compile(
    r"^(?P<indent>\s*)(?P<names>\*{0,2}\w+(?:\s*,\s*\*{0,2}\w+)+)\s*:\s*(?P<type>.*)$"
)
_HEADER = re.compile(r"^\s*(Parameters|Other Parameters|Attributes)\s*$")
_UNDERLINE = re.compile(r"^\s*-{3,}\s*$")


def _public_names() -> dict[str, str]:
    try:
        import crmine

        return dict(getattr(crmine, "_LAZY", {}))
    except Exception:
        return {}


def _lookup(collection: Any, path: str) -> Any:
    try:
        obj = collection[path]
    except Exception:
        return None
    try:
        return obj.final_target if obj.is_alias else obj
    except Exception:
        return None


class CrmineDocstrings(griffe.Extension):
    """Rewrite Sphinx roles and grouped parameters in every crmine docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.public = _public_names()

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:  # noqa: D102
        if pkg.name != "crmine":
            return
        for obj in self._walk(pkg):
            if obj.docstring is not None:
                text = self._split_groups(obj, obj.docstring.value)
                text = _MATH_BLOCK.sub(self._math_block, text + "\n").rstrip("\n")
                obj.docstring.value = _ROLE.sub(
                    lambda m, owner=obj: self._role(m, owner, pkg), text
                )

    def _walk(self, obj: Any) -> Any:
        yield obj
        for member in list(obj.members.values()):
            if not member.is_alias:
                yield from self._walk(member)

    # ------------------------------------------------------------------ roles

    def _resolve(self, name: str, obj: Any, pkg: Any) -> str | None:
        collection = pkg.modules_collection
        candidates = []
        if name.startswith("crmine"):
            candidates.append(name)
        scope = obj
        while scope is not None:
            if scope.is_class or scope.is_module:
                candidates.append(f"{scope.path}.{name}")
            scope = scope.parent
        head = name.split(".")[0]
        if head in self.public:
            candidates.append(f"{self.public[head]}.{name}")
        candidates.append(f"crmine.{name}")
        for path in candidates:
            target = _lookup(collection, path)
            if target is not None:
                return target.path
        return None

    @staticmethod
    def _math_block(match: re.Match) -> str:
        indent = match["indent"]
        body = [ln.strip() for ln in match.group(2).splitlines() if ln.strip()]
        return f"{indent}$$\n" + "".join(f"{indent}{ln}\n" for ln in body) + f"{indent}$$\n\n"

    def _role(self, match: re.Match, obj: Any, pkg: Any) -> str:
        role, body = match["role"], match["body"].strip()
        if role == "math":
            return f"${body}$"
        explicit = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^>]+)>", body)
        target = explicit["target"] if explicit else body
        short = target.startswith("~")
        target = target.lstrip("~.").removesuffix("()")
        if role in ("ref", "term", "doc"):
            return explicit["title"] if explicit else target
        title = explicit["title"] if explicit else (target.split(".")[-1] if short else target)
        if role in ("func", "meth") and not title.endswith(")"):
            title += "()"
        path = self._resolve(target, obj, pkg)
        if path is None:
            return f"`{title}`"
        return f'<autoref identifier="{path}" optional><code>{title}</code></autoref>'

    # ------------------------------------------------------------------ grouped parameters

    def _defaults(self, obj: Any) -> dict[str, str]:
        func = obj
        if obj.is_class:
            init = obj.members.get("__init__")
            if init is None or init.is_alias:
                return {}
            func = init
        if not getattr(func, "is_function", False):
            return {}
        return {
            p.name: str(p.default)
            for p in func.parameters
            if p.default is not None and str(p.default) != ""
        }

    def _split_groups(self, obj: Any, text: str) -> str:
        if "," not in text or not re.search(r"^\s*Parameters\s*$", text, re.M):
            return text
        defaults = self._defaults(obj)
        lines = text.splitlines()
        out: list[str] = []
        in_params = False
        i = 0
        while i < len(lines):
            line = lines[i]
            if _HEADER.match(line) and i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1]):
                in_params = True
            elif i + 1 < len(lines) and _UNDERLINE.match(lines[i + 1]) and line.strip():
                in_params = False
            group = _GROUP.match(line) if in_params else None
            if group is None:
                out.append(line)
                i += 1
                continue
            indent = group["indent"]
            body: list[str] = []
            i += 1
            while i < len(lines) and (
                not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > len(indent)
            ):
                body.append(lines[i])
                i += 1
            while body and not body[-1].strip():
                body.pop()
            type_text = re.split(r",?\s*default\b", group["type"])[0].strip().rstrip(",")
            for name in [n.strip() for n in group["names"].split(",")]:
                default = defaults.get(name.lstrip("*"))
                head = f"{indent}{name} : {type_text}" if type_text else f"{indent}{name}"
                if default is not None:
                    head += f", default={default}" if type_text else f" : default={default}"
                out.append(head)
                out.extend(body)
            out.append("")
        return "\n".join(out)
