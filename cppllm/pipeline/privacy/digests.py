"""Digests and published test vectors: high-entropy constants that are public data, not secrets.

Crypto and checksum code is full of hex and base64 constants with the entropy of a key: known-answer test
vectors (`SHA-256("abc") = ba7816bf...` from FIPS 180-2), expected checksums, file hashes, commit ids.
Redacting them breaks the tests they belong to and teaches the model nothing about secrets. A value is a
digest here when

1. it IS a digest of a string literal written next to it: md5 / sha1 / sha2 / sha3 / blake2 of a literal
   on its line or the lines just above (hex or base64), checked by computing it: a known-answer vector
   (`{"abc", "ba7816bf..."}`, the empty string's digest) whatever the code around it says; or
2. it has a digest's length and form, and the code marks it as one: its own line says
   sha/md5/hash/digest/checksum/test vector/... and nothing about keys, tokens or passwords; or the
   comment or code in the few lines above does, with no secret word there either (a table of vectors under
   a `// NIST SHA-256 test vectors` comment).

A value that merely looks like a digest on a line about keys (`api_key = "<64 hex>"`) stays a secret.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import re

# hex lengths of md5, sha1, sha224, sha256, sha384, sha512 (and the sha3 / blake2 ones of the same sizes)
HEX_DIGEST_LENGTHS = frozenset({32, 40, 56, 64, 96, 128})
# base64 (padded) of 16, 20, 28, 32, 48, 64 bytes; 43 / 86: sha256 / sha512 unpadded (JWS thumbprints);
# 32 and 40: the lengths secrets.py accepted before this module (kept so nothing it dropped comes back)
B64_DIGEST_LENGTHS = frozenset({24, 28, 32, 40, 43, 44, 64, 86, 88})
ALGORITHMS = (
    "md5",
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "sha3_256",
    "sha3_512",
    "blake2b",
    "blake2s",
)
LINES_ABOVE = 8  # how far up a comment or table header can mark a value as a digest

_HEX = frozenset("0123456789abcdefABCDEF")
_HEXISH = _HEX | {"-"}  # dashed hex (GUID-like ids) on a line about hashes: a digest of any length
_DIGEST_WORDS = re.compile(
    r"(?i)sha-?\d*|md5|hash|digest|checksum|crc|blake|fingerprint|commit|\brev\b|git"
    r"|test[ _-]?vectors?|known[ _-]?answer|\bkat\b|fips ?\d|\bnist\b"
)
# above the line only what names a digest counts ("git", "commit" or "rev" in a comment a few lines up
# say little about the value below them)
_ABOVE_DIGEST_WORDS = re.compile(
    r"(?i)sha-?\d*|md5|hash|digest|checksum|crc|blake|fingerprint|test[ _-]?vectors?|known[ _-]?answer|\bkat\b"
)
_SECRET_WORDS = re.compile(r"(?i)key|secret|token|passw|pwd|auth|credential|bearer")
# above the line, HMAC test vectors say "key" (a published one): only these words veto there
_STRONG_SECRET_WORDS = re.compile(
    r"(?i)secret|token|passw|pwd|credential|bearer|api[_-]?key|private[_ -]?key"
)
_LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def has_digest_form(value: str) -> bool:
    """Hex of a digest's length, or base64 of one."""
    if not set(value) - _HEX:
        return len(value) in HEX_DIGEST_LENGTHS
    return len(value) in B64_DIGEST_LENGTHS and _is_base64(value)


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        try:
            base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError):
            return False
    return True


def _unescape(literal: str) -> bytes:
    try:
        return literal.encode("latin-1", "backslashreplace").decode("unicode_escape").encode("utf-8")
    except UnicodeDecodeError:
        return literal.encode("utf-8", "surrogatepass")


@functools.lru_cache(maxsize=4096)
def _digests_of(data: bytes) -> frozenset[str]:
    out = set()
    for name in ALGORITHMS:
        raw = hashlib.new(name, data).digest()
        out |= {raw.hex(), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode().rstrip("=")}
    return frozenset(out)


def is_digest_of_nearby_literal(value: str, context: str) -> bool:
    """`value` is a digest (hex or base64) of one of the string literals in `context`."""
    v = value.lower() if not set(value) - _HEX else value
    return any(v in _digests_of(_unescape(lit)) for lit in _LITERAL.findall(context) if lit != value)


def is_marked_digest(value: str, line: str, above: str = "") -> bool:
    """A public digest or test vector (see the module docstring). `above`: the lines just above `line`."""
    if is_digest_of_nearby_literal(value, above + "\n" + line):
        return True
    if not has_digest_form(value) and set(value) - _HEXISH:
        return False
    rest = line.replace(value, " ")
    if _SECRET_WORDS.search(rest):
        return False
    if _DIGEST_WORDS.search(rest):
        return True
    # a marking comment or table header above, as long as what is above talks about no secret
    return (
        has_digest_form(value)
        and bool(_ABOVE_DIGEST_WORDS.search(above))
        and not _STRONG_SECRET_WORDS.search(above)
    )


def lines_above(text: str, start: int, n: int = LINES_ABOVE) -> str:
    """The `n` lines of `text` before the line starting at `start` (fewer at the top of the file)."""
    a = start
    for _ in range(n):
        if a <= 0:
            break
        a = text.rfind("\n", 0, a - 1) + 1
    return text[a:start]
