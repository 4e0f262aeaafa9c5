"""PII redaction for source code: emails, IP addresses, secrets and (optionally) names.

Reimplements the approach of bigcode's PII pipeline for The Stack / StarCoder (arXiv:2305.06161,
section 4; bigcode-project/bigcode-dataset `pii/`): regexes for emails and IP addresses with filters
for what is not PII (private, loopback, reserved and documentation networks, popular public DNS
servers, version numbers), keys through detect-secrets (`cppllm.pipeline.privacy.secrets`), optional names
through a token-classification model such as bigcode/starpii, and replacement by bigcode's
placeholders `<EMAIL>`, `<IP_ADDRESS>`, `<KEY>`, `<PASSWORD>`, `<NAME>`.

The edit keeps code syntactically valid: only the value is replaced, never the quotes around it, and a
span that crosses string-literal boundaries (a PEM key split over several `"..."` lines) keeps the
parity of the `"` it removes, so text inside a literal stays inside a literal.

The optional name model is `cppllm.pipeline.privacy.ner`; the DataTrove step and the scanner command are
`cppllm.pipeline.privacy.step`.

All detectors run only on the lines selected by one combined prefilter (the secret probes plus the
PII probes), scanned once over the document; `prefilter=False` scans every line (same results, slower).
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cppllm.pipeline.privacy.secrets import (
    SECRET_PREFILTER,
    URL_CREDENTIALS,
    Prefilter,
    Probe,
    SecretScanner,
    Span,
    all_lines,
    drop_public_material,
    merge_spans,
)

if TYPE_CHECKING:
    from cppllm.pipeline.privacy.ner import NameDetector

PLACEHOLDERS = {
    "email": "<EMAIL>",
    "ip_address": "<IP_ADDRESS>",
    "name": "<NAME>",
    "password": "<PASSWORD>",
    "connection_password": "<PASSWORD>",
}
KEY_PLACEHOLDER = "<KEY>"
PII_KINDS = frozenset({"email", "ip_address", "name"})

# bigcode's list of public DNS resolvers that are documentation, not PII.
POPULAR_DNS_SERVERS = frozenset(
    [
        "8.8.8.8",
        "8.8.4.4",
        "1.1.1.1",
        "1.0.0.1",
        "76.76.19.19",
        "76.223.122.150",
        "9.9.9.9",
        "149.112.112.112",
        "208.67.222.222",
        "208.67.220.220",
        "8.26.56.26",
        "8.20.247.20",
        "94.140.14.14",
        "94.140.15.15",
        "2001:4860:4860::8888",
        "2001:4860:4860::8844",
        "2606:4700:4700::1111",
        "2606:4700:4700::1001",
    ]
)
# RFC 2606 / RFC 6761 names reserved for examples and tests.
RESERVED_DOMAINS = frozenset({"example.com", "example.org", "example.net"})
RESERVED_TLDS = frozenset({"example", "test", "invalid", "localhost", "local"})
# "Domains" that are really file names or member accesses in code.
_CODE_TLDS = frozenset(
    [
        "hpp",
        "cpp",
        "cc",
        "cxx",
        "hh",
        "hxx",
        "ipp",
        "inl",
        "tcc",
        "cu",
        "cuh",
        "py",
        "js",
        "ts",
        "json",
        "txt",
        "md",
        "rst",
        "cmake",
        "in",
        "am",
        "git",
        "get",
        "set",
        "size",
        "data",
        "first",
        "second",
        "end",
        "begin",
        "value",
        "name",
        "type",
        "ptr",
        "str",
        "len",
        "cfg",
        "ini",
        "yaml",
        "yml",
        "xml",
        "html",
        "lock",
        "log",
    ]
)

PII_PREFILTER = Prefilter(
    (
        Probe(r"@[A-Za-z0-9]", ("email",)),  # every email: @ then a domain character
        Probe(r"\.\d{1,3}\.\d{1,3}\.\d", ("ip",)),  # dotted-quad IPv4, after its first octet
        # Global IPv6 is 2000::/3, so its first group is written 2xxx or 3xxx.
        Probe(r":(?<=[23][0-9A-Fa-f]{3}:)[0-9A-Fa-f]{0,4}:", ("ip",)),
    )
)

_EMAIL = re.compile(
    r"(?<![\w.+\-@%])([A-Za-z0-9][A-Za-z0-9._+\-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+"
    r"[A-Za-z]{2,24})(?![\w\-@]|\.[A-Za-z0-9])"
)
_URL_USERINFO = re.compile(r"://[^\s/@]*:$")
_IPV4 = re.compile(r"(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?![\w-]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])([23][0-9A-Fa-f]{3}:[0-9A-Fa-f:]*[0-9A-Fa-f](?:%\w+)?)(?![\w:])")
_VERSION_CONTEXT = re.compile(r"(?i)version|\bver\b|_ver|release|\brev\b|build|soname|libtool|\bv\s*$")
_NETWORK_CONTEXT = re.compile(
    r"(?i)(?<![a-z])(?:ip|ipv4|ipv6|dns|server|hosts?|hostname|addr|address|inet|connect|bind|socket|gateway"
    r"|proxy|ping|upstream|remote|peer|endpoint|firewall|subnet)(?![a-z])"
)


@dataclass(frozen=True, kw_only=True)
class PrivacyConfig:
    """What to detect and what to do with a document that has findings."""

    action: str = "redact"  # "redact": replace the values; "drop": remove any document with a finding
    drop_private_keys: bool = True  # a private key drops the document even when redacting
    max_secrets: int | None = None  # drop a document with more than this many secrets (None: never)
    emails: bool = True
    ip_addresses: bool = True
    secrets: bool = True
    allow_example_domains: bool = True  # keep user@example.com, *.test, *.invalid (RFC 2606/6761)
    ner_model: str | None = None  # local path of a token-classification model (e.g. bigcode/starpii)
    ner_device: str = "auto"
    prefilter: bool = True

    def __post_init__(self) -> None:
        if self.action not in ("redact", "drop"):
            raise ValueError(f"action must be 'redact' or 'drop', not {self.action!r}")
        if self.max_secrets is not None and self.max_secrets < 0:
            raise ValueError("max_secrets must be >= 0")


def placeholder(kind: str) -> str:
    return PLACEHOLDERS.get(kind, KEY_PLACEHOLDER)


def is_secret_kind(kind: str) -> bool:
    return kind not in PII_KINDS


def email_spans(line: str, offset: int, allow_example: bool) -> list[Span]:
    out = []
    urls = [m.span() for m in URL_CREDENTIALS.finditer(line)] if "://" in line else []
    for m in _EMAIL.finditer(line):
        value = m.group(1)
        if _URL_USERINFO.search(line, 0, m.start(1)) or any(a <= m.start(1) < b for a, b in urls):
            continue  # `scheme://user:p@ss#word@host`: a credential (secrets.py), not an email
        local, domain = value.rsplit("@", 1)
        domain = domain.lower()
        tld = domain.rsplit(".", 1)[-1]
        if tld in _CODE_TLDS or local == "git":
            continue
        if allow_example and (
            tld in RESERVED_TLDS or any(domain == d or domain.endswith("." + d) for d in RESERVED_DOMAINS)
        ):
            continue
        out.append(Span(offset + m.start(1), offset + m.end(1), "email", value, "email_regex"))
    return out


def is_redactable_ip(value: str, line: str = "", pos: int = 0) -> bool:
    """A public address that is not a well-known DNS server and not really a version number."""
    try:
        ip = ipaddress.ip_address(value.split("%")[0])
    except ValueError:
        return False
    if not ip.is_global or ip.is_multicast or ip.is_reserved or value in POPULAR_DNS_SERVERS:
        return False
    if ip.version == 6:
        return ip in ipaddress.ip_network("2000::/3")
    before = line[max(0, pos - 40) : pos]
    if _VERSION_CONTEXT.search(before) or _VERSION_CONTEXT.search(line) and not _NETWORK_CONTEXT.search(line):
        return False
    if _NETWORK_CONTEXT.search(line):
        return True
    # bigcode: x.x.x.x with single digits is a version unless the text talks about networks; small
    # numbers all round (`[23.2.4.1]`, `// 20.11.4.3 specialization`) are standard section numbers.
    return len(value) > 7 and max(int(p) for p in value.split(".")) >= 64


def _ip_spans(line: str, offset: int) -> list[Span]:
    out = []
    for pattern in (_IPV4, _IPV6):
        for m in pattern.finditer(line):
            if is_redactable_ip(m.group(1), line, m.start(1)):
                out.append(Span(offset + m.start(1), offset + m.end(1), "ip_address", m.group(1), "ip_regex"))
    return out


PRIVACY_PREFILTER = SECRET_PREFILTER + PII_PREFILTER


@functools.cache
def _scanner() -> SecretScanner:
    return SecretScanner()


def find_pii(
    text: str, config: PrivacyConfig = PrivacyConfig(), ner: NameDetector | None = None
) -> list[Span]:
    """Every finding (secrets, emails, IPs, and names when `ner` is given), merged and sorted."""
    lines = PRIVACY_PREFILTER.lines(text) if config.prefilter else all_lines(text)
    spans: list[Span] = []
    for start, end, targets in lines:
        line = text[start:end]
        if config.secrets:
            spans.extend(_scanner().scan_line(text, start, end, targets))
        if config.emails and (targets is None or "email" in targets):
            spans.extend(email_spans(line, start, config.allow_example_domains))
        if config.ip_addresses and (targets is None or "ip" in targets):
            spans.extend(_ip_spans(line, start))
    if ner is not None:
        spans.extend(ner.find(text, allow_example_domains=config.allow_example_domains))
    return merge_spans(drop_public_material(text, spans))


def _unescaped_quotes(s: str) -> int:
    return len(re.findall(r'(?<!\\)"', s))


def redact(text: str, spans: list[Span]) -> str:
    """Replace each (merged) span by its placeholder, keeping string literals balanced."""
    out, pos = [], 0
    for s in merge_spans(spans):
        out.append(text[pos : s.start])
        rep = placeholder(s.kind)
        if _unescaped_quotes(text[s.start : s.end]) % 2:
            rep += '"'
        out.append(rep)
        pos = s.end
    out.append(text[pos:])
    return "".join(out)


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def audit_findings(text: str, spans: list[Span]) -> list[dict]:
    """What the audit file records per finding: never the value, only its sha256."""
    return [
        {
            "kind": s.kind,
            "detector": s.detector,
            "line": text.count("\n", 0, s.start) + 1,
            "length": s.end - s.start,
            "sha256": sha256(s.value),
        }
        for s in spans
    ]


def decide(spans: list[Span], config: PrivacyConfig) -> str | None:
    """The drop reason for a document with these findings, or None to keep (and redact) it."""
    if not spans:
        return None
    if config.drop_private_keys and any(s.kind == "private_key" for s in spans):
        return "private_key"
    n_secrets = sum(is_secret_kind(s.kind) for s in spans)
    if config.max_secrets is not None and n_secrets > config.max_secrets:
        return "too_many_secrets"
    if config.action == "drop":
        return "has_secrets" if n_secrets else "has_pii"
    return None
