"""Published digests and known-answer test vectors stay; look-alike secrets around them still go."""

from __future__ import annotations

import random

import pytest

from cppllm.pipeline.privacy.digests import is_digest_of_nearby_literal, is_marked_digest, lines_above
from cppllm.pipeline.privacy.pii import find_pii, redact

# Digests computed once with hashlib and written down here (FIPS 180-2 / RFC 1321 examples).
SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
SHA1_ABC = "a9993e364706816aba3e25717850c26c9cd0d89d"
SHA512_ABC = (
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
    "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
)
SHA256_EMPTY = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
SHA256_448BIT = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
SHA256_FOX_B64 = "16j7swfXgJRpypq8sAguT41WUeRtPNt2LQLQvzfJ5ZI="
HMAC_SHA256_FOX = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"

_rng = random.Random(11)


def _hex(n: int) -> str:
    return "".join(_rng.choice("0123456789abcdef") for _ in range(n))


def _kept(text: str, value: str) -> bool:
    return value in redact(text, find_pii(text))


KNOWN_ANSWER = {
    "comment above names the vector": (
        f'// SHA-256("abc") known-answer test vector from FIPS 180-2\n'
        f'static const char* kExpected = "{SHA256_ABC}";\n',
        SHA256_ABC,
    ),
    "value two lines under its comment": (
        f'// Known-answer test: digest of the empty string\nstatic const char kEmpty[] =\n    "{SHA256_EMPTY}";\n',
        SHA256_EMPTY,
    ),
    "vector table: input next to its digest": (
        "struct Vec { const char* in; const char* out; };\n"
        f'const Vec kVecs[] = {{\n    {{"abc", "{SHA1_ABC}"}},\n}};\n',
        SHA1_ABC,
    ),
    "sha512 of the literal on its line": (
        f'EXPECT_EQ(to_hex(Sha512::of("abc")), "{SHA512_ABC}");\n',
        SHA512_ABC,
    ),
    "table under a NIST header, no input on the line": (
        "// NIST SHA-256 test vectors (FIPS 180-4, Appendix B)\n"
        "const std::array<std::string_view, 2> kOut = {\n"
        f'    "{SHA256_ABC}",\n    "{SHA256_448BIT}",\n}};\n',
        SHA256_448BIT,
    ),
    "base64 digest of the literal above": (
        'const std::string msg = "The quick brown fox jumps over the lazy dog";\n'
        f'const std::string want = "{SHA256_FOX_B64}";\n',
        SHA256_FOX_B64,
    ),
    "HMAC vector: 'key' above, published": (
        f'// RFC 4231-style HMAC-SHA256 test vector, key = "key"\nconst char* kMac = "{HMAC_SHA256_FOX}";\n',
        HMAC_SHA256_FOX,
    ),
}


@pytest.mark.parametrize("name", sorted(KNOWN_ANSWER))
def test_known_answer_vectors_are_not_redacted(name):
    text, value = KNOWN_ANSWER[name]
    assert _kept(text, value), redact(text, find_pii(text))


SECRETS_NEAR_DIGESTS = {
    "digest-shaped value named as a key": lambda v: f'const char* kApiKey = "{v}";  // sha256 form\n',
    "secret word in the comment above": lambda v: (
        f'// the service secret token, stored as a sha256 hex string\nstatic const char* kValue = "{v}";\n'
    ),
    "no digest marker anywhere": lambda v: f'static const char* kValue = "{v}";\nint n = 0;\n',
    "only 'git' / 'commit' above": lambda v: (
        f'// git deploy settings, see the commit log\nstatic const char* kDeployValue = "{v}";\n'
    ),
    "digest marker too far above": lambda v: (
        "// sha256 helpers\n" + "int f();\n" * 9 + f'static const char* kValue = "{v}";\n'
    ),
}


@pytest.mark.parametrize("name", sorted(SECRETS_NEAR_DIGESTS))
def test_random_hex_secrets_near_digest_words_still_go(name):
    value = _hex(64)
    text = SECRETS_NEAR_DIGESTS[name](value)
    assert not _kept(text, value), text


def test_verified_digest_needs_the_literal_it_digests():
    assert is_digest_of_nearby_literal(SHA256_ABC, 'f("abc")')
    assert not is_digest_of_nearby_literal(SHA256_ABC, 'f("abd")')
    assert not is_digest_of_nearby_literal(_hex(64), 'f("abc")')


def test_marked_digest_needs_a_digest_length_for_the_lines_above():
    above = "// SHA-256 test vectors\n"
    assert is_marked_digest(SHA256_448BIT, f'  "{SHA256_448BIT}",', above)
    assert not is_marked_digest(_hex(50), f'  "{_hex(50)}",', above)  # not a digest's length
    assert not is_marked_digest(SHA256_448BIT, f'  "{SHA256_448BIT}",', "// unrelated\n")


def test_lines_above():
    text = "a\nb\nc\nd\n"
    start = text.index("d")
    assert lines_above(text, start, 2) == "b\nc\n"
    assert lines_above(text, start, 10) == "a\nb\nc\n"
    assert lines_above(text, 0, 3) == ""
