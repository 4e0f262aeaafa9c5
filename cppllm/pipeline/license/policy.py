"""What to do with a document's license: `record` (keep all, label), `permissive`, or `allowlist:FILE`.

`permissive` is The Stack's rule: keep a document when its license expression is satisfied by licenses
that ScanCode's license database puts in the "Permissive" or "Public Domain" categories (AND needs every
part, OR any part; `X WITH exception` follows X, so `Apache-2.0 WITH LLVM-exception` is permissive and
`GPL-3.0-or-later WITH GCC-exception-3.1` is not). Documents without a detected license are dropped by
`permissive` (The Stack v2 kept them as `no_license`: use an allowlist with `NOASSERTION` for that).

An allowlist file holds one SPDX id per line (`#` comments; a `X WITH Y` line allows exactly that pair).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from cppllm.pipeline.license.scan import NOASSERTION

PERMISSIVE_CATEGORIES = frozenset({"Permissive", "Public Domain"})


@functools.cache
def permissive_ids() -> frozenset[str]:
    """SPDX ids (ScanCode `LicenseRef-scancode-*` ids included) of ScanCode's permissive categories."""
    from licensedcode.cache import get_licenses_db

    ids = set()
    for lic in get_licenses_db().values():
        if lic.category in PERMISSIVE_CATEGORIES:
            for key in [lic.spdx_license_key, *(lic.other_spdx_license_keys or [])]:
                if key:
                    ids.add(key.lower())
    return frozenset(ids)


@dataclass(frozen=True, kw_only=True)
class LicensePolicy:
    """`kind` is "record", "permissive" or "allowlist" (then `allowed` holds lowercased SPDX ids)."""

    kind: str = "record"
    allowed: frozenset[str] = field(default_factory=frozenset)
    spec: str = "record"

    def check(self, expression: str | None) -> str | None:
        """None when the document is kept, else its drop reason."""
        if self.kind == "record":
            return None
        if not expression or expression == NOASSERTION:
            return None if NOASSERTION.lower() in self.allowed else "license_unknown"
        allowed = permissive_ids() if self.kind == "permissive" else self.allowed
        try:
            ok = _satisfied(expression, allowed)
        except Exception:  # an expression the parser rejects is not known to be allowed
            ok = False
        if ok:
            return None
        return "license_not_permissive" if self.kind == "permissive" else "license_not_allowed"


@functools.cache
def _licensing():
    from license_expression import Licensing

    return Licensing()


def _satisfied(expression: str, allowed: frozenset[str]) -> bool:
    from license_expression import AND, OR, LicenseSymbol, LicenseWithExceptionSymbol

    def ok(node) -> bool:
        if isinstance(node, LicenseWithExceptionSymbol):
            pair = f"{node.license_symbol.key} WITH {node.exception_symbol.key}".lower()
            return pair in allowed or node.license_symbol.key.lower() in allowed
        if isinstance(node, LicenseSymbol):
            return node.key.lower() in allowed
        if isinstance(node, AND):
            return all(ok(a) for a in node.args)
        if isinstance(node, OR):
            return any(ok(a) for a in node.args)
        return False

    return ok(_licensing().parse(expression, validate=False, simple=False))


def parse_policy(spec: str) -> LicensePolicy:
    """`record` | `permissive` | `allowlist:FILE` -> LicensePolicy (ValueError on anything else)."""
    if spec in ("record", "permissive"):
        return LicensePolicy(kind=spec, spec=spec)
    if spec.startswith("allowlist:"):
        path = Path(spec.split(":", 1)[1]).expanduser()
        if not path.is_file():
            raise ValueError(f"--license-policy {spec}: allowlist file not found: {path}")
        ids = {line.split("#", 1)[0].strip() for line in path.read_text().splitlines()}
        ids = {" ".join(i.split()).lower() for i in ids if i}
        if not ids:
            raise ValueError(f"--license-policy {spec}: the allowlist is empty")
        return LicensePolicy(kind="allowlist", allowed=frozenset(ids), spec=spec)
    raise ValueError(f"unknown --license-policy {spec!r}: expected record, permissive or allowlist:FILE")
