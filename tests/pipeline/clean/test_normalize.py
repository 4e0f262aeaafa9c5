"""The C++ normalizer: whitespace is stripped, the program (tokens, literals, line structure) is not."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cppllm.pipeline.clean.normalize import CppNormalizer, normalize

_spec = importlib.util.spec_from_file_location(
    "cpp_reference_lexer", Path(__file__).with_name("cpp_reference_lexer.py")
)
ref = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref)


def check(text: str, **kw) -> str:
    """normalize, and assert the properties every input must have."""
    out = normalize(text, **kw)
    assert normalize(out, **kw) == out, "not idempotent"
    assert ref.tokens(out) == ref.tokens(text), "token sequence changed"
    return out


def test_strips_indentation_trailing_space_bom_crlf_and_blank_runs():
    text = "\ufeff#include <vector>\r\n\r\n\r\n\r\n\r\nint main() {  \r\n    return 0;\t\r\n}\r\n\r\n"
    assert check(text) == "#include <vector>\n\n\nint main() {\nreturn 0;\n}\n"
    assert check(text, max_blank_lines=0) == "#include <vector>\nint main() {\nreturn 0;\n}\n"
    assert check(text, keep_indent=True) == "#include <vector>\n\n\nint main() {\n    return 0;\n}\n"


def test_lone_cr_is_a_newline_and_empty_input():
    assert check("a;\rb;\r") == "a;\nb;\n"
    assert check("") == ""
    assert check(" \n\t\n\n") == ""
    assert check("x") == "x\n"


def test_raw_strings_are_byte_identical():
    text = 'auto s = R"delim(  indented  \n\n\n\n\n   )" not the end  \n\t tab )delim";   \n   next;\n'
    out = check(text)
    assert out == 'auto s = R"delim(  indented  \n\n\n\n\n   )" not the end  \n\t tab )delim";\nnext;\n'
    for prefix in ("u8R", "uR", "UR", "LR"):
        t = f'x = {prefix}"(\n   a  \n  )";\n'
        assert check(t) == t
    # an identifier ending in R is not a raw-string prefix: this is an ordinary string
    assert check('FOOR"x";\n   y;\n') == 'FOOR"x";\ny;\n'
    # a raw-string opener inside a comment or a string opens nothing
    assert check('// R"(\n   a;\n') == '// R"(\na;\n'
    assert check('s = "R\\"(";\n   a;\n') == 's = "R\\"(";\na;\n'
    # a digit separator needs a digit or nondigit after it: `1'0''R"(` is `1'0`, `''`, then an unterminated
    # raw string, whose text (to the end of the file) gets no final newline; `1'0'R"(` is one pp-number
    assert check("x = 1'0''R\"(  \n  a  ") == "x = 1'0''R\"(  \n  a  "
    assert check("x = 1'0'R\"(  \n  a;") == "x = 1'0'R\"(\na;\n"


def test_continuations_keep_tokens_apart_and_strings_intact():
    macro = "#define F(x) \\\n    do { x; } \\   \n    while (0)\n"
    assert check(macro) == "#define F(x) \\\ndo { x; } \\\nwhile (0)\n"
    # `a\` + indented `b` is `a b` (two tokens): the indentation may shrink but not vanish
    assert check("a\\\n    b\n") == "a\\\n b\n"
    assert check("#define F\\\n   (x) x\n") == "#define F\\\n (x) x\n"
    # inside a string literal the spliced line's spaces are part of the string
    s = 'const char* s = "abc\\\n   def";\n'
    assert check(s) == s
    assert check("char c = 'a\\\n  ';\n") == "char c = 'a\\\n  ';\n"
    # backslash-backslash-newline: the second backslash splices, the first escapes
    s = 'x = "a\\\\\n  b";\n'
    assert check(s) == s
    # a blank line ending a continued macro is kept even with max_blank_lines=0
    assert check("#define A 1 \\\n\n\nint a;\n", max_blank_lines=0) == "#define A 1 \\\n\nint a;\n"


def test_comments_digits_digraphs_and_char_literals():
    text = (
        "  int x = 1'000'000; // don't \"touch\" \n"
        "  char q = '\"'; char a = '\\''; auto u = u8'a';\n"
        "   /* a\n      multi-line \" comment\n   */   y = 0x1'FF;\n"
        "  %:define D <: :> <% %>\n"
    )
    out = check(text)
    assert out.startswith("int x = 1'000'000; // don't \"touch\"\nchar q = '\"';")
    assert "\nmulti-line \" comment\n*/   y = 0x1'FF;\n%:define" in out


ADVERSARIAL = [
    'R"(',
    ')"',
    'R"x(',
    ')x"',
    'u8R"z(',
    ')z"',
    '"',
    "'",
    "\\\n",
    "\\  \n",
    "\\\\\n",
    "/*",
    "*/",
    "//",
    " ",
    "\t",
    "\n",
    "\n\n\n",
    "a",
    "R",
    "1'0",
    "'\"'",
    "<:",
    "%:",
    "#define M(x) ",
    "(",
    "\r\n",
    "\\",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(ADVERSARIAL), max_size=40), st.booleans(), st.integers(-1, 3))
def test_fuzz_adversarial_fragments(parts, keep_indent, max_blank):
    check("".join(parts), keep_indent=keep_indent, max_blank_lines=max_blank)


def test_sample_of_embedded_corpus(cpp_sample):
    assert cpp_sample, "no embedded corpus found"
    changed = 0
    for text in cpp_sample.values():
        changed += check(text) != text
    assert changed > len(cpp_sample) // 2  # real headers are indented


def test_step_counts_changes():
    from datatrove.data import Document

    step = CppNormalizer()
    docs = list(step.run(iter([Document(text="  a;\n", id="1"), Document(text="b;\n", id="2")])))
    assert [d.text for d in docs] == ["a;\n", "b;\n"]
    assert step.stats["changed"].total == 1
    assert step.stats["chars_removed"].total == 2


def _normalized_tree(src: Path, dst: Path) -> int:
    n = 0
    for p in sorted(src.rglob("*")):
        if p.is_file():
            out = dst / p.relative_to(src)
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                out.write_text(normalize(p.read_text(encoding="utf-8")), encoding="utf-8")
                n += 1
            except UnicodeDecodeError:
                shutil.copyfile(p, out)
    return n


def _compile(tu: str, includes: list[Path], tmp: Path, std: str = "c++17") -> subprocess.CompletedProcess:
    src = tmp / "tu.cpp"
    src.write_text(tu)
    cmd = ["g++", f"-std={std}", "-fsyntax-only", "-nostdinc++"]
    for inc in includes:
        cmd += ["-isystem", str(inc)]
    return subprocess.run([*cmd, str(src)], capture_output=True, text=True, timeout=600)


def _libstdcxx_roots():
    from cppllm.pipeline.readers.corpus import gxx_include_roots

    roots = list(gxx_include_roots())
    if not shutil.which("g++") or not roots:
        pytest.skip("needs g++")
    return roots


def _check_compiles_after(headers: list[str], tmp_path: Path, std: str = "c++17") -> None:
    roots = _libstdcxx_roots()
    tmp_path.mkdir(parents=True, exist_ok=True)
    tu = "".join(f"#include <{h}>\n" for h in headers) + "int main() { return 0; }\n"
    assert _compile(tu, roots, tmp_path).returncode == 0, "does not compile before normalization"
    normalized = []
    for k, root in enumerate(roots):
        dst = tmp_path / f"root{k}"
        assert _normalized_tree(root, dst) > 0
        normalized.append(dst)
    proc = _compile(tu, normalized, tmp_path, std)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_normalized_libstdcxx_still_compiles(tmp_path):
    _check_compiles_after(["vector", "string", "map", "iostream", "regex"], tmp_path)


@pytest.mark.slow
def test_normalized_libstdcxx_compiles_everything(tmp_path):
    for std in ("c++17", "c++20"):
        _check_compiles_after(["bits/stdc++.h"], tmp_path / std, std)


@pytest.mark.slow
def test_whole_embedded_corpus_properties():
    """Idempotent and token-preserving on every file of the embedded corpus."""
    from concurrent.futures import ProcessPoolExecutor

    from cppllm.pipeline.readers.corpus import embedded_roots

    files = [p for r in embedded_roots() for p in sorted(r.path.rglob("*")) if p.is_file()]
    with ProcessPoolExecutor(2) as pool:
        failures = [f for f in pool.map(_properties_hold, files, chunksize=64) if f]
    assert not failures, failures[:10]


def _properties_hold(path: Path) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None
    out = normalize(text)
    if normalize(out) != out:
        return f"{path}: not idempotent"
    if ref.tokens(out) != ref.tokens(text):
        return f"{path}: tokens changed"
    return None
