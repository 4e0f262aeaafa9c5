"""Secret detection: token formats, private-key blocks, filters, and the prefilter losing nothing."""

from __future__ import annotations

import importlib.util
import json
import random
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppllm.pipeline.privacy.pii import PrivacyConfig, find_pii, redact
from cppllm.pipeline.privacy.secrets import SECRET_PREFILTER, find_secrets, reference_find_secrets

_rng = random.Random(7)
_AN = string.ascii_letters + string.digits


def _r(n: int, cs: str = _AN) -> str:
    return "".join(_rng.choice(cs) for _ in range(n))


TOKENS = {
    "aws_key": "AKIA" + _r(16, string.ascii_uppercase + string.digits),
    "github_token": "ghp_" + _r(36),
    "slack_token": f"xoxb-{_r(11, string.digits)}-{_r(12, string.digits)}-{_r(24, string.ascii_lowercase)}",
    "stripe_key": "sk_live_" + _r(24),
    "google_api_key": "AIza" + _r(35),
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0." + _r(43, _AN + "-_"),
    "sendgrid_api_key": "SG." + _r(22) + "." + _r(43),
    "high_entropy_string": _r(40),
}


@pytest.mark.parametrize("kind", sorted(TOKENS))
def test_token_formats_found_and_redacted_inside_their_literal(kind):
    value = TOKENS[kind]
    text = f'// config\nstatic const char* kToken = "{value}";\nint x = 1;\n'
    spans = find_secrets(text)
    assert any(s.value == value for s in spans), spans
    assert any(s.kind == kind for s in spans if s.value == value) or kind == "high_entropy_string"
    out = redact(text, spans)
    assert value not in out
    assert 'kToken = "<KEY>";' in out


def test_passwords_and_connection_strings():
    pw, pg, ado = "Tr0ub4dor&" + _r(4), _r(14), _r(12)
    text = (
        f'std::string password("{pw}");\n'
        f'auto url = "postgres://svc:{pg}@db.corp.io:5432/app";\n'
        f'auto cs = "Server=tcp:x.corp.io;User Id=sa;Password={ado};";\n'
        'std::string prompt_password = "Enter your password: ";\n'
        'const char* kField = "password";\n'
    )
    out = redact(text, find_pii(text))
    assert pw not in out and pg not in out and ado not in out
    assert 'password("<PASSWORD>")' in out
    assert "postgres://svc:<PASSWORD>@db.corp.io" in out
    assert "Enter your password: " in out and '"password"' in out


def _pem(label: str, lines: list[str]) -> str:
    body = "\n".join(f'    "{x}\\n"' for x in lines)
    return f'const char* kKey =\n    "-----BEGIN {label}-----\\n"\n{body}\n    "-----END {label}-----\\n";\n'


def test_private_key_block_whole_body_goes_and_literal_stays_balanced():
    body = [_r(64, _AN + "+/") for _ in range(5)]
    text = "int before = 0;\n" + _pem("RSA PRIVATE KEY", body) + "int after = 1;\n"
    spans = find_secrets(text)
    assert [s.kind for s in spans] == ["private_key"]
    out = redact(text, spans)
    assert all(line not in out for line in body)
    assert "BEGIN RSA PRIVATE KEY" not in out
    assert 'const char* kKey =\n    "<KEY>\\n";\n' in out
    assert out.count('"') % 2 == 0


def test_truncated_private_key_and_raw_string():
    body = [_r(70, _AN + "+/") for _ in range(3)]
    text = 'auto k = R"(-----BEGIN OPENSSH PRIVATE KEY-----\n' + "\n".join(body) + '\n)";\n'
    out = redact(text, find_secrets(text))
    assert all(line not in out for line in body)
    assert out.startswith('auto k = R"(<KEY>') and out.endswith(')";\n')


def test_public_keys_and_pem_parsing_code_are_not_secrets():
    pub = [_r(64, _AN + "+/") for _ in range(4)]
    text = _pem("PUBLIC KEY", pub) + (
        'static const std::string kBegin = "-----BEGIN RSA PRIVATE KEY-----";\n'
        "bool ok = parse(text);\n"
        'static const std::string kEnd = "-----END RSA PRIVATE KEY-----";\n'
    )
    assert find_secrets(text) == []


@pytest.mark.parametrize(
    "line",
    [
        'constexpr const char* kSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";',
        'const char* commit = "a94a8fe5ccb19ba61c4c0873d391e987982fbbd3";  // pinned commit',
        'auto id = "123e4567-e89b-12d3-a456-426614174000";',
        "constexpr std::uint64_t kGolden = 0x9E3779B97F4A7C15ULL;",
        'auto pangram = "VGhlIHF1aWNrIGJyb3duIGZveCBqdW1wcyBvdmVyIHRoZSBsYXp5IGRvZw==";',
        'int attr = get("cudaDevAttrMaxThreadsPerBlockDimensionX");',
        'const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";',
        "if (password.empty()) return false;",
        'std::string secret = std::getenv("APP_SECRET");',
        'const char* api_key = "${API_KEY}";',
    ],
)
def test_lookalikes_are_not_secrets(line):
    assert find_secrets(line + "\n") == []


def test_detector_names_a_real_aws_key_in_the_reference_path_too():
    """The baseline is real: bigcode's plugin set on every line finds a key and misses a password."""
    key = TOKENS["aws_key"]
    spans = reference_find_secrets(f'auto k = "{key}";\nstd::string password("hunter2x");\n')
    assert [s.value for s in spans] == [key]


def _labelled(fixtures_dir, name: str = "privacy"):
    d = fixtures_dir / name
    labels = json.loads((d / "labels.json").read_text())
    return {n: (d / n).read_text() for n in labels}, labels


def test_prefilter_loses_nothing_on_labelled_set_and_real_code(cpp_sample, fixtures_dir):
    texts, _ = _labelled(fixtures_dir)
    docs = list(texts.values()) + list(cpp_sample.values())[:12]
    for doc in docs:
        assert find_pii(doc) == find_pii(doc, PrivacyConfig(prefilter=False))


_FRAGMENTS = [
    *TOKENS.values(),
    "api_key",
    "PASSWORD",
    "pwd",
    "secret",
    "aws",
    "://",
    "@",
    "=",
    ": ",
    '"',
    "'",
    " ",
    "-----BEGIN RSA PRIVATE KEY-----",
    "user@mail.example.org",
    "52.14.88.201",
    "2a03:2880:f12f::1",
    "ghp_",
    "xoxp-",
    "AKIA",
    "SG.",
    "eyJ",
]


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(st.sampled_from(_FRAGMENTS), st.text(alphabet=_AN + "_-+/=.:;\"' ", max_size=30)),
        max_size=10,
    )
)
def test_prefilter_selects_every_line_a_detector_fires_on(parts):
    line = "".join(parts)
    text = f"int a;\n{line}\nint b;\n"
    assert find_pii(text) == find_pii(text, PrivacyConfig(prefilter=False))


def test_prefilter_selects_few_lines_of_real_code(cpp_sample):
    text = "\n".join(cpp_sample.values())
    n_lines = text.count("\n") + 1
    assert len(SECRET_PREFILTER.lines(text)) < 0.05 * n_lines


def _bench(fixtures_dir):
    path = fixtures_dir.parent.parent / "benchmarks" / "bench_privacy.py"
    spec = importlib.util.spec_from_file_location("bench_privacy", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_labelled_set_recall_at_least_reference_and_precision(fixtures_dir):
    bench = _bench(fixtures_dir)
    texts, labels = _labelled(fixtures_dir)
    ours = bench.score(find_pii, texts, labels)
    ref = bench.score(bench.reference_find_pii, texts, labels)
    for kind, recall in ours["recall"].items():
        assert recall >= ref["recall"].get(kind, 0.0), kind
    assert ours["precision_all"] >= 0.9
    assert ours["kept"][0] == ours["kept"][1]


def test_held_out_set_recall_precision_and_lookalikes(fixtures_dir):
    """The held-out set (written apart from the rules; bench_privacy reports it): a regression guard at
    the figures measured when it was added (recall 22/24: two passwords with no keyword are missed)."""
    bench = _bench(fixtures_dir)
    texts, labels = _labelled(fixtures_dir, "privacy_heldout")
    ours = bench.score(find_pii, texts, labels)
    ref = bench.score(bench.reference_find_pii, texts, labels)
    for kind, recall in ours["recall"].items():
        assert recall >= ref["recall"].get(kind, 0.0), kind
    assert ours["recall_all"] >= 22 / 24
    assert ours["precision_all"] >= 0.95
    assert ours["kept"][0] == ours["kept"][1], ours["lost"]


# RFC 3986 userinfo: unreserved, sub-delims and ":" (and %-escapes), plus the `@` and `#` people write
# into passwords unescaped.
_USERINFO = string.ascii_letters + string.digits + "-._~!$&'()*+,;=:%@#"


def _url_password() -> str:
    # starts with a letter and holds a digit: a placeholder (`$VAR`, `%s`, `{}`, `xxxx`) is not a password
    return _r(1, string.ascii_letters) + _r(_rng.randint(5, 16), _USERINFO) + _r(1, string.digits)


@pytest.mark.parametrize("scheme", ["postgresql", "mongodb+srv", "redis", "amqp", "mysql", "https"])
def test_url_password_with_any_userinfo_characters_goes(scheme):
    for user in ("svc_user", "", "ops.bot"):
        pw = _url_password()
        url = f"{scheme}://{user}:{pw}@db-{_r(4).lower()}.internal.net:5432/orders"
        text = f'const std::string kUrl = "{url}";\nint port = 5432;\n'
        out = redact(text, find_pii(text))
        assert pw not in out, (url, out)
        assert f'"{scheme}://{user}:<PASSWORD>@db-' in out, out  # only the password, literal stays balanced


def test_url_password_reported_in_issue_16():
    text = 'auto dsn = "postgresql://admin:p@ss#w0rd!@db.example.net:5432/app";\n'
    assert (
        redact(text, find_pii(text))
        == 'auto dsn = "postgresql://admin:<PASSWORD>@db.example.net:5432/app";\n'
    )


@pytest.mark.parametrize(
    "line",
    [
        'auto f = fmt::format("postgres://{}:{}@{}:{}/{}", user, pass, host, port, db);',
        'snprintf(buf, sizeof buf, "%s://%s:%s@%s:%d", scheme, user, pw, host, port);',
        'std::string url = "http://" + user + ":" + password + "@" + host;',
        'const char* kRemote = "ssh://git@github.com/org/repo.git";',
        'const char* kDsn = "postgres://app:${DB_PASSWORD}@db:5432/app";',
        'const char* kDoc = "redis://user:<password>@host:6379";',
        "std::map<std::string, int>::iterator it = m.find(key);",
    ],
)
def test_url_like_code_without_a_password_is_left_alone(line):
    assert find_pii(line + "\n") == []
