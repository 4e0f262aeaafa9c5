"""Secret detection for source code: detect-secrets' plugins, run per line behind a one-pass prefilter.

The approach is bigcode's PII pipeline for The Stack / StarCoder (arXiv:2305.06161, section 4): keys are
found with Yelp's detect-secrets using the plugin set bigcode kept (`BIGCODE_PLUGINS`) and its heuristic
filters (UUIDs, id strings, templated values, sequential strings) plus a gibberish check on the value.
On top of that set we add private-key blocks (the whole PEM body goes, not just the marker line), the
keyword (password) and URL-credential plugins bigcode dropped for noise, with filters of our own, and a
few well-known token formats detect-secrets lacks (Google API keys, GitHub fine-grained tokens, Stripe
test keys, `Password=...;` connection strings).

Running every plugin on every line is slow (~0.4 MB/s per core), and almost no line of real code holds a
secret. `SECRET_PREFILTER` lists, for each detector, cheap probes (literals, literal-led regexes) that every
line it could fire on must contain (each derived from the plugin's own pattern, see the comments); they
are scanned over the whole text at C speed, and only the lines they touch go through the plugin chain.
`find_secrets(text, prefilter=False)` runs the same chain on every line: the tests assert both agree.
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
from dataclasses import dataclass

from cppllm.pipeline.privacy.digests import is_marked_digest, lines_above

# bigcode's plugin list (pii/utils/keys_detection.py in bigcode-project/bigcode-dataset).
BIGCODE_PLUGINS = (
    "ArtifactoryDetector",
    "AWSKeyDetector",
    "Base64HighEntropyString",
    "HexHighEntropyString",
    "AzureStorageKeyDetector",
    "CloudantDetector",
    "DiscordBotTokenDetector",
    "GitHubTokenDetector",
    "IbmCloudIamDetector",
    "IbmCosHmacDetector",
    "JwtTokenDetector",
    "MailchimpDetector",
    "NpmDetector",
    "SendGridDetector",
    "SlackDetector",
    "SoftlayerDetector",
    "StripeDetector",
    "TwilioKeyDetector",
)
EXTRA_PLUGINS = ("PrivateKeyDetector", "KeywordDetector", "BasicAuthDetector")

# detect-secrets' secret_type -> our kind (the name used in stats, drop reasons and the audit file).
_KIND_BY_TYPE = {
    "AWS Access Key": "aws_key",
    "GitHub Token": "github_token",
    "Slack Token": "slack_token",
    "Stripe Access Key": "stripe_key",
    "JSON Web Token": "jwt",
    "Base64 High Entropy String": "high_entropy_string",
    "Hex High Entropy String": "high_entropy_string",
    "Secret Keyword": "password",
    "Basic Auth Credentials": "connection_password",
    "Private Key": "private_key",
}
# When several detectors cover the same text, the most specific kind names the span.
GENERIC_KINDS = ("high_entropy_string", "password")


# The prefilter: cheap necessary conditions, each routed to the detectors it guards. A line no probe of a
# detector touches cannot make that detector fire, so skipping it there loses nothing. Every probe starts
# with a literal, so `re` jumps between candidate positions at C speed; `folded` probes are searched in
# `text.lower()` (for case-insensitive plugins). No probe can match a newline.
@dataclass(frozen=True)
class Probe:
    pattern: str
    targets: tuple[str, ...]
    folded: bool = False


_ASSIGN = r"""["']?\]? *[=: ][=:> ]*["']?[\w-]{24}"""  # build_assignment_regex, relaxed, + 24 value chars
_ASSIGN_PLUGINS = ("CloudantDetector", "IbmCloudIamDetector", "IbmCosHmacDetector", "SoftlayerDetector")


def _after(*words: str) -> str:
    """`(?<=w1)|(?<=w2)...`: the hit ends one of these words (each look-behind has a fixed width)."""
    return "|".join(f"(?<={w})" for w in words)


_KEY_WORDS = [f"{h}{sep}key" for h in ("api", "auth", "service", "account", "db", "database", "priv", "private", "client") for sep in ("_", "")]  # fmt: skip
_PASS_WORDS = [f"{h}{sep}pass" for h in ("db", "database", "key") for sep in ("_", "")]

SECRET_PROBES: tuple[Probe, ...] = (
    # AWS key ids, Artifactory tokens, Azure account keys, Google API keys, Twilio keys.
    Probe(
        r"A(?:KIA|SIA|BIA|CCA|3T|KC|P[\dABCDEF][a-zA-Z0-9]{8}|ccountKey=|Iza|C[a-z0-9]{32})",
        (
            "AWSKeyDetector",
            "ArtifactoryDetector",
            "AzureStorageKeyDetector",
            "format:google_api_key",
            "TwilioKeyDetector",
        ),
    ),
    Probe(r"S(?:G\.|K[a-z0-9]{32})", ("SendGridDetector", "TwilioKeyDetector")),
    # High-entropy plugins need a quoted run of their charset: entropy > 3.0 needs >= 9 distinct hex
    # digits, entropy > 4.5 needs >= 23 distinct base64 characters.
    Probe(r'"[A-Za-z0-9+/\\_=-]{9,}"', ("Base64HighEntropyString", "HexHighEntropyString")),
    Probe(r"'[A-Za-z0-9+/\\_=-]{9,}'", ("Base64HighEntropyString", "HexHighEntropyString")),
    Probe(r"\.[a-zA-Z\d_-]{6}\.", ("DiscordBotTokenDetector",)),  # the token's 6-character middle part
    Probe(r"g(?:h[pousr]_|ithub_pat_)", ("GitHubTokenDetector", "format:github_token")),
    Probe(r"eyJ", ("JwtTokenDetector", "format:jwt")),
    Probe(r"-us[0-9]", ("MailchimpDetector",)),
    Probe(r"_authToken=", ("NpmDetector",)),
    Probe(r"k_(?:live|test)_", ("StripeDetector", "format:stripe_key")),
    Probe(r"P(?:RIVATE KEY|uTTY-User-Key-File)", ("PrivateKeyDetector",)),
    Probe(r"://", ("BasicAuthDetector", "format:connection_password")),
    # Case-insensitive plugins, searched in the lowered text. KeywordDetector: each of its patterns holds
    # one of its denylisted words; Cloudant / IBM / Softlayer assignments: `key|pw|pwd|pass|password|
    # token`, an assignment and a >= 24-character value; `Password=...;` connection strings.
    Probe(f"key(?:{_ASSIGN}|{_after(*_KEY_WORDS)})", ("KeywordDetector", *_ASSIGN_PLUGINS), folded=True),
    Probe(
        f"pass(?:{_ASSIGN}|w(?:or)?d|{_after(*_PASS_WORDS)})",
        ("KeywordDetector", "format:connection_password", *_ASSIGN_PLUGINS),
        folded=True,
    ),
    Probe(
        f"pw(?:{_ASSIGN}|d)", ("KeywordDetector", "format:connection_password", *_ASSIGN_PLUGINS), folded=True
    ),
    Probe(f"token{_ASSIGN}", _ASSIGN_PLUGINS, folded=True),
    Probe(r"secret", ("KeywordDetector",), folded=True),
    Probe(r"contrase", ("KeywordDetector",), folded=True),
    Probe(r"aws", ("AWSKeyDetector",), folded=True),  # `aws ... key = "<40 chars>"`
    Probe(r"cloudant", ("CloudantDetector",), folded=True),
    Probe(r"softlayer", ("SoftlayerDetector",), folded=True),
    Probe(r"xox", ("SlackDetector",), folded=True),
    Probe(r"hooks\.slack\.com", ("SlackDetector",), folded=True),
)


@dataclass(frozen=True)
class Prefilter:
    """Selects the lines worth scanning, and for each line the detectors worth running on it."""

    probes: tuple[Probe, ...]

    def __add__(self, other: Prefilter) -> Prefilter:
        return Prefilter(self.probes + other.probes)

    @functools.cached_property
    def _compiled(self) -> list[tuple[re.Pattern, tuple[str, ...], bool]]:
        return [(re.compile(p.pattern), p.targets, p.folded) for p in self.probes]

    def lines(self, text: str) -> list[tuple[int, int, frozenset[str]]]:
        """(start, end, detectors) of every line (newline excluded) a probe touches, in order."""
        low = None
        hits: dict[int, set[str]] = {}
        for pattern, targets, folded in self._compiled:
            if folded and low is None:
                low = text.lower()
                if len(low) != len(text):  # a few non-ASCII letters change length when lowered
                    low = text.translate(_ASCII_LOWER)
            for m in pattern.finditer(low if folded else text):
                hits.setdefault(m.start(), set()).update(targets)
        lines: dict[int, tuple[int, set[str]]] = {}
        for pos in sorted(hits):
            start = text.rfind("\n", 0, pos) + 1
            if start not in lines:
                end = text.find("\n", pos)
                lines[start] = (len(text) if end < 0 else end, set())
            lines[start][1].update(hits[pos])
        return [(s, e, frozenset(t)) for s, (e, t) in lines.items()]


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
SECRET_PREFILTER = Prefilter(SECRET_PROBES)

# `scheme://user:password@host[:port]`. The password runs from the userinfo's first `:` to the LAST `@`
# that is followed by a host: RFC 3986 userinfo allows unreserved characters, %-escapes, `!$&'()*+,;=` and
# `:`, and people write `@` and `#` into passwords unescaped too (`p@ss#w0rd!`), which detect-secrets'
# BasicAuthDetector (`[^\s/:@]+`) stops at. Never inside the password: whitespace, `"`, `/`, `?`, `\`,
# `<>` and backticks (they end the URL, the authority or the string literal holding it). The user may be
# empty (`redis://:password@host`).
_HOST = r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])"
URL_CREDENTIALS = re.compile(
    r"(?<![\w+.-])[A-Za-z][A-Za-z0-9+.-]*://"  # scheme
    r"[^\s:/?#@\"'<>`\\]*"  # user
    r":([^\s/?\"<>`\\]+)"  # password, greedy: backs off to the last `@` before a host
    rf"@{_HOST}(?=[:/?#\s\"'<>;,)\\]|$)"
)

# Well-known token formats detect-secrets has no plugin for (kind, pattern with the value in group 1).
_EXTRA_FORMATS: tuple[tuple[str, re.Pattern], ...] = (
    ("google_api_key", re.compile(r"(?<![\w-])(AIza[0-9A-Za-z_\-]{35})(?![\w-])")),
    ("github_token", re.compile(r"(github_pat_[0-9A-Za-z_]{22,255})")),
    ("stripe_key", re.compile(r"((?:sk|rk)_(?:live|test)_[0-9a-zA-Z]{24,99})")),
    ("jwt", re.compile(r"(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})")),
    # ADO / ODBC style: `Server=db;User Id=sa;Password=hunter2;`
    ("connection_password", re.compile(r"(?i)(?<![\w])(?:password|pwd)=([^;\"'\s{}<>%$]{4,})")),
    # `scheme://user:password@host`, see URL_CREDENTIALS
    ("connection_password", URL_CREDENTIALS),
)

_PEM_BEGIN = re.compile(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?)-----")
_PEM_BODY_LINE = re.compile(r"""^[\s"'/*#;]*[A-Za-z0-9+/=:\- ,]{16,}(?:\\n)?["',;)]*\s*$""")
_PUTTY = re.compile(r"PuTTY-User-Key-File-\d:[^\n]*\n(?:.*\n){0,80}?.*Private-MAC:[^\n]*")

_HEX = frozenset("0123456789abcdefABCDEF-")
_PASSWORD_PLACEHOLDER = re.compile(
    r"(?i)^(?:x+|\*+|\.+|changeme|password|passwd|secret|your[_\- ]?\w*|<[^>]*>|\$\{?\w+\}?|%\w|\{\w*\}"
    r"|test\w*|example\w*|dummy\w*|none|null|empty|todo|redacted)$"
)


@dataclass(frozen=True)
class Span:
    """A found secret or PII value: `text[start:end] == value`."""

    start: int
    end: int
    kind: str
    value: str
    detector: str


def all_lines(text: str) -> list[tuple[int, int, None]]:
    """Every line as (start, end, None): None runs every detector (the no-prefilter path)."""
    out, start = [], 0
    for m in re.finditer("\n", text):
        out.append((start, m.start(), None))
        start = m.end()
    out.append((start, len(text), None))
    return out


@functools.cache
def _plugin_classes() -> dict[str, type]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    return {cls.__name__: cls for cls in get_mapping_from_secret_type_to_class().values()}


@functools.cache
def load_plugins(names: tuple[str, ...]) -> tuple:
    classes = _plugin_classes()
    missing = [n for n in names if n not in classes]
    if missing:
        raise ValueError(f"detect-secrets has no plugin(s) {missing}")
    return tuple(classes[n]() for n in names)


@functools.cache
def _gibberish_detector():
    """detect-secrets' own gibberish model (rfc.model); bigcode trained the same library on big.txt."""
    import os

    import detect_secrets.filters.gibberish as gib
    from gibberish_detector import serializer
    from gibberish_detector.detector import Detector

    with open(os.path.join(gib.__path__[0], "rfc.model")) as f:
        model = serializer.deserialize(f.read())
    return Detector(model=model, threshold=3.7)


def is_gibberish(value: str) -> bool:
    return _gibberish_detector().is_gibberish(value.lower())


def heuristic_filtered(value: str, line: str, plugin) -> bool:
    """bigcode's detect-secrets filter set: UUIDs, `*_id = ...`, templated and sequential values."""
    from detect_secrets.filters import heuristic as h

    return (
        h.is_potential_uuid(value)
        or h.is_likely_id_string(value, line, plugin)
        or h.is_templated_secret(value)
        or h.is_sequential_string(value)
    )


def _is_encoded_text(value: str) -> bool:
    """Base64 that decodes to plain text is an encoded test string, not a key."""
    try:
        raw = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    if len(raw) < 8:
        return False
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in raw)
    return printable / len(raw) > 0.95 and sum(chr(b).isalpha() or b == 32 for b in raw) / len(raw) > 0.7


def _keep(value: str, line: str, plugin, kind: str, above: str = "") -> bool:
    """Whether a detector's value is kept as a secret; `above`: the lines just above `line`."""
    if len(value) < 4 or heuristic_filtered(value, line, plugin):
        return False
    if kind == "high_entropy_string":
        if is_marked_digest(value, line, above) or _is_encoded_text(value):
            return False
        # detect-secrets' gibberish filter: hex strings are too uniform for the model to judge.
        return not (set(value) - _HEX) or is_gibberish(value)
    if kind in ("password", "connection_password"):
        v = value.strip()
        return not (
            _PASSWORD_PLACEHOLDER.match(v)
            or " " in v
            or v.startswith(("$", "%", "{", "<"))
            or not any(c.isalnum() for c in v)
        )
    return True


def _looks_like_key_body(inner: str) -> bool:
    """Between the markers of a real key: base64 lines (and a few `Name: value` headers), little else."""
    solid = re.sub(r"\\n|[\s\"',;+]", "", inner)
    b64 = sum(len(x) for x in re.findall(r"[A-Za-z0-9+/=]{16,}", inner))
    return b64 >= 40 and b64 >= 0.6 * len(solid)


def _private_key_spans(text: str, line_start: int, line_end: int) -> list[Span]:
    """The whole PEM (or PuTTY) block starting on this line: markers, headers and body."""
    spans = []
    for m in _PEM_BEGIN.finditer(text, line_start, line_end):
        end_marker = f"-----END {m.group(1)}-----"
        end = text.find(end_marker, m.end(), m.end() + 65536)
        if end >= 0:
            if not _looks_like_key_body(text[m.end() : end]):
                continue  # code that parses PEM (marker constants), not a key
            stop = end + len(end_marker)
        else:  # truncated block: take the body lines that follow
            stop = line_end
            while stop < len(text):
                nxt = text.find("\n", stop + 1)
                nxt = len(text) if nxt < 0 else nxt
                if not _PEM_BODY_LINE.match(text[stop + 1 : nxt]):
                    break
                stop = nxt
            if stop == line_end:
                continue
        spans.append(Span(m.start(), stop, "private_key", text[m.start() : stop], "pem_block"))
    for m in _PUTTY.finditer(text, line_start):
        if m.start() >= line_end:
            break
        spans.append(Span(m.start(), m.end(), "private_key", m.group(0), "putty_block"))
    return spans


class SecretScanner:
    """The per-line chain: detect-secrets plugins + our token formats + filters, with optional prefilter."""

    def __init__(self, plugins: tuple[str, ...] = BIGCODE_PLUGINS + EXTRA_PLUGINS) -> None:
        self.plugin_names = plugins

    @property
    def plugins(self) -> tuple:
        return load_plugins(self.plugin_names)

    def scan_line(self, text: str, start: int, end: int, targets: frozenset[str] | None = None) -> list[Span]:
        """Secrets on `text[start:end]` from the detectors in `targets` (None: all of them)."""
        line = text[start:end]
        found: list[Span] = []
        for plugin in self.plugins:
            name = type(plugin).__name__
            if targets is not None and name not in targets:
                continue
            if name == "PrivateKeyDetector":
                if any(True for _ in plugin.analyze_string(line)):
                    found.extend(_private_key_spans(text, start, end))
            elif hasattr(plugin, "denylist"):  # a RegexBasedDetector
                found.extend(_regex_plugin_spans(plugin, line, start))
            else:
                # KeywordDetector: both the C++ patterns (`password("x")`) and the quotes-required set
                # (`{"pwd": "x"}`); the entropy plugins ignore the file name.
                names = ("a.cpp", "a.txt") if name == "KeywordDetector" else ("a.txt",)
                values = {s.secret_value for fn in names for s in plugin.analyze_line(filename=fn, line=line)}
                kind = _kind(plugin)
                above = lines_above(text, start) if values and kind == "high_entropy_string" else ""
                for value in values:
                    if value and _keep(value, line, plugin, kind, above):
                        found.extend(_occurrences(line, start, value, kind, name))
        for kind, pattern in _EXTRA_FORMATS:
            if targets is not None and f"format:{kind}" not in targets:
                continue
            for m in pattern.finditer(line):
                value = m.group(1)
                if _keep(value, line, None, kind):
                    found.append(Span(start + m.start(1), start + m.end(1), kind, value, f"format:{kind}"))
        return found

    def scan(self, text: str, *, prefilter: bool = True) -> list[Span]:
        lines = SECRET_PREFILTER.lines(text) if prefilter else all_lines(text)
        spans: list[Span] = []
        for start, end, targets in lines:
            spans.extend(self.scan_line(text, start, end, targets))
        return merge_spans(drop_public_material(text, spans))


def _rank(kind: str) -> int:
    if kind == "private_key":
        return 0
    return 2 if kind in GENERIC_KINDS else 1


def merge_spans(spans: list[Span]) -> list[Span]:
    """Union overlapping spans; the merged span takes the most specific kind among them."""
    merged: list[Span] = []
    for s in sorted(set(spans), key=lambda s: (s.start, -s.end)):
        if merged and s.start < merged[-1].end:
            last = merged[-1]
            end = max(last.end, s.end)
            best = min((last, s), key=lambda x: _rank(x.kind))
            value = last.value + s.value[last.end - s.start :] if s.end > last.end else last.value
            merged[-1] = Span(last.start, end, best.kind, value, best.detector)
        else:
            merged.append(s)
    return merged


_PUBLIC_PEM = re.compile(
    r"-----BEGIN ((?:[A-Z0-9]+ )*(?:PUBLIC KEY|CERTIFICATE|CERTIFICATE REQUEST|X509 CRL))-----"
)


def drop_public_material(text: str, spans: list[Span]) -> list[Span]:
    """Entropy hits inside public-key / certificate PEM blocks are public data, not secrets."""
    if "-----BEGIN" not in text:
        return spans
    regions = []
    for m in _PUBLIC_PEM.finditer(text):
        end = text.find(f"-----END {m.group(1)}-----", m.end())
        regions.append((m.start(), len(text) if end < 0 else end))
    return [
        s
        for s in spans
        if s.kind != "high_entropy_string" or not any(a <= s.start and s.end <= b for a, b in regions)
    ]


def _regex_plugin_spans(plugin, line: str, offset: int) -> list[Span]:
    """A regex plugin's matches with their positions and the whole secret.

    `analyze_line` yields `findall` groups, which for GitHubTokenDetector is just the `ghp` prefix;
    the secret is the last non-empty group unless that group only opens the match.
    """
    kind = _kind(plugin)
    out = []
    for regex in plugin.denylist:
        for m in regex.finditer(line):
            g = next((i for i in range(len(m.groups()), 0, -1) if m.group(i)), 0)
            if g and m.start(g) == m.start() and m.end(g) < m.end():
                g = 0
            value = m.group(g)
            if _keep(value, line, plugin, kind):
                out.append(
                    Span(offset + m.start(g), offset + m.end(g), kind, value, plugin.__class__.__name__)
                )
    return out


@functools.cache
def _kind_of(secret_type: str) -> str:
    return _KIND_BY_TYPE.get(secret_type) or re.sub(r"\W+", "_", secret_type.strip().lower())


def _kind(plugin) -> str:
    return _kind_of(plugin.secret_type)


def _occurrences(line: str, offset: int, value: str, kind: str, detector: str) -> list[Span]:
    out, i = [], line.find(value)
    while i >= 0:
        out.append(Span(offset + i, offset + i + len(value), kind, value, detector))
        i = line.find(value, i + len(value))
    return out


@functools.cache
def _default_scanner() -> SecretScanner:
    return SecretScanner()


def find_secrets(text: str, *, prefilter: bool = True) -> list[Span]:
    """Every secret in `text` (keys, tokens, passwords, private-key blocks), sorted by position."""
    return _default_scanner().scan(text, prefilter=prefilter)


def reference_find_secrets(text: str) -> list[Span]:
    """The baseline: bigcode's path, its plugin set and filters run on every line of the text.

    bigcode drops a value when it is not gibberish, when it has a digest length on a line mentioning
    sha/md5/hash/byte, and drops every key of a file where `sha` or `hash` appear on > 2% of lines.
    """
    plugins = load_plugins(BIGCODE_PLUGINS)
    low = text.lower()
    n_lines = text.count("\n")
    file_has_hashes = max(low.count("sha"), low.count("hash")) > int(0.02 * n_lines)
    spans: list[Span] = []
    for start, end, _ in all_lines(text):
        line = text[start:end]
        for plugin in plugins:
            for s in plugin.analyze_line(filename="a.txt", line=line):
                value = s.secret_value
                if not value or heuristic_filtered(value, line, plugin) or not is_gibberish(value):
                    continue
                hashy = len(value) in (32, 40, 64) and any(
                    w in line.lower() for w in ("sha", "md5", "hash", "byte")
                )
                if hashy or file_has_hashes:
                    continue
                kind = _kind(plugin)
                spans.extend(_occurrences(line, start, value, kind, plugin.__class__.__name__))
    return sorted(set(spans), key=lambda s: (s.start, s.end, s.kind))
