"""Text families: C-string/std::string utilities and a `key=value` configuration parser."""

from __future__ import annotations

import random
from string import Template

from cppllm.bugs.template import CHECK_HEADER, Draft, Namer

WORDS = (
    "alpha beta gamma delta kilo lima oscar tango zulu jazz fizz buzz quiz zebra apple moon "
    "river stone cloud ember frost maple pixel vector buffer kernel socket"
).split()

STRINGS_SRC = """#include <cstring>
#include <string>

char* $reversed(const char* s) {
    std::size_t n = std::strlen(s);
    char* out = new char[n ⟦off_by_one¦+ 1¦⟧];
    for (std::size_t i = 0; i < n; ++i) out[i] = s[n - 1 - i];
    out[n] = '\\0';
    return out;
}

int $count_char(const std::string& s, char c) {
    int found⟦uninitialized¦ = 0¦⟧;
    for (char x : s) {
        if (x == c) ++found;
    }
    return found;
}

std::string $upper(const std::string& s) {
    std::string r = s;
    for (std::size_t i = 0; i < r.size(); ++i) {
        if (r[i] >= 'a' && r[i] ⟦wrong_operator.compare¦<=¦<⟧ 'z') r[i] = static_cast<char>(r[i] - 'a' + 'A');
    }
    return r;
}

int $word_count(const char* s) {
    int words = 0;
    bool inside = false;
    for (const char* p = s; *p != '\\0'; ++p) {
        if (*p == ' ') {
            inside = false;
        } else if (⟦wrong_operator.logic¦!inside¦inside⟧) {
            inside = true;
            ++words;
        }
    }
    return words;
}

int $longest_run(const std::string& s) {
    if (s.empty()) return 0;
    int best = 1, run = 1;
    for (std::size_t i = 1; i < s.size(); ++i) {
        run = s[i] == s[i - 1] ? run + 1 : 1;
        if (run > best) best = ⟦wrong_variable¦run¦best⟧;
    }
    return best;
}

int $suffix_len(const char* s, char sep) {
    const char* at = std::strchr(s, sep);
⟦null_deref.lookup¦    if (at == nullptr) return -1;
¦⟧    return static_cast<int>(std::strlen(at + 1));
}

unsigned $hash(const std::string& s) {
    ⟦integer_overflow¦unsigned¦int⟧ h = $seed;
    for (unsigned char c : s) h = h * 31 + c;
    return h;
}

bool $is_palindrome(const std::string& s) {
    std::size_t i = 0, j = s.size();
    while (i + 1 < j) {
        if (s[i] != s[j - 1]) return false;
        ++i;
        --j;
    }
⟦missing_return¦    return true;
¦⟧}

int main() {
    const char* $text = "$sentence";
    char* back = $reversed($text);
    CHECK_EQ(std::string(back), std::string("$back"));
    delete[] back;
    CHECK_EQ($count_char($text, '$ch'), $ch_count);
    CHECK_EQ($upper("$zword"), std::string("$zupper"));
    CHECK_EQ($word_count($text), $nwords);
    CHECK_EQ($longest_run("$runword"), $run);
    CHECK_EQ($suffix_len($text, ' '), $suffix);
    CHECK_EQ($suffix_len("$zword", '#'), -1);
    CHECK_EQ($hash("$long_text"), $hashv);
    CHECK($is_palindrome("$pal"));
    CHECK(!$is_palindrome("$zword"));
    return 0;
}
"""


def _hash(s: str, seed: int) -> int:
    h = seed
    for c in s.encode():
        h = (h * 31 + c) & 0xFFFFFFFF
    return h


def strings(rng: random.Random) -> Draft:
    name = Namer(rng)
    words = rng.sample(WORDS, rng.randint(3, 6))
    sentence = " ".join(words)
    zword = rng.choice([w for w in WORDS if "z" in w])
    runword = rng.choice([w for w in WORDS if any(a == b for a, b in zip(w, w[1:], strict=False))])
    ch = rng.choice(sentence.replace(" ", ""))
    best = run = 1
    for a, b in zip(runword, runword[1:], strict=False):
        run = run + 1 if a == b else 1
        best = max(best, run)
    long_text = " ".join(rng.sample(WORDS, 6))
    seed = rng.randint(3, 999)
    half = rng.choice(WORDS)
    subs = dict(
        reversed=name("reversed", "reverse_copy", "mirror", "backwards"),
        count_char=name("count_char", "occurrences", "count_of", "tally"),
        upper=name("upper", "to_upper", "shout", "capitalized"),
        word_count=name("word_count", "count_words", "num_words", "words_in"),
        longest_run=name("longest_run", "max_run", "longest_repeat", "run_length"),
        suffix_len=name("suffix_len", "length_after", "tail_len", "chars_after"),
        hash=name("hash", "fingerprint", "digest", "string_hash"),
        is_palindrome=name("is_palindrome", "reads_same", "palindromic", "symmetric"),
        text=name("text", "line", "sentence", "input"),
        sentence=sentence,
        back=sentence[::-1],
        ch=ch,
        ch_count=sentence.count(ch),
        zword=zword,
        zupper=zword.upper(),
        nwords=len(words),
        runword=runword,
        run=best,
        suffix=len(sentence) - sentence.index(" ") - 1,
        long_text=long_text,
        hashv=f"{_hash(long_text, seed)}u",
        seed=seed,
        pal=half + half[::-1][rng.randint(0, 1) :],
    )
    return Draft(
        family="strings", filename="text.cpp", text=CHECK_HEADER + Template(STRINGS_SRC).substitute(subs)
    )


CONFIG_SRC = """#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

struct $Entry {
    std::string key;
    long long value = 0;
};

std::string $trim(const std::string& s) {
    std::size_t b = 0, e = s.size();
    while (b < e && s[b] == ' ') ++b;
    while (e > b && s[e ⟦off_by_one¦- 1¦⟧] == ' ') --e;
    return s.substr(b, e - b);
}

bool $parse_int(const std::string& s, long long& out) {
    if (s.empty()) return false;
    ⟦integer_overflow¦long long¦int⟧ v = 0;
    std::size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return false;
    for (; i < s.size(); ++i) {
        char c = s[i];
        if (c < '0' ⟦wrong_operator.logic¦||¦&&⟧ c > '9') return false;
        v = v * 10 + (c - '0');
    }
    out = s[0] == '-' ? -v : v;
    return true;
}

int $parse_line(char* line, $Entry& out) {
    char* eq = std::strchr(line, '$sep');
⟦null_deref.lookup¦    if (eq == nullptr) return -1;
¦⟧    *eq = '\\0';
    out.key = $trim(line);
    long long v = 0;
    if (!$parse_int($trim(eq + 1), v)) return -2;
    out.value = v;
⟦missing_return¦    return 0;
¦⟧}

using $Config = std::unordered_map<std::string, long long>;

$Config $parse_all(const std::vector<std::string>& lines, int& errors) {
    $Config cfg;
    errors = 0;
    for (const std::string& l : lines) {
        std::vector<char> buf(l.begin(), l.end());
        buf.push_back('\\0');
        $Entry e;
        if ($parse_line(buf.data(), e) != 0) {
            ++errors;
            continue;
        }
        cfg[e.key] = e.value;
    }
    return cfg;
}

long long $get_or(const $Config& cfg, const std::string& key, long long fallback) {
    auto it = cfg.find(key);
⟦null_deref.find¦    if (it == cfg.end()) return fallback;
¦⟧    return it->second;
}

long long $sum_keys(const $Config& cfg, const std::vector<std::string>& keys) {
    long long total⟦uninitialized¦ = 0¦⟧;
    for (const std::string& k : keys) total += $get_or(cfg, k, 0);
    return total;
}

int main() {
    std::vector<std::string> $lines = {
$lines_init
    };
    int errors = -1;
    $Config cfg = $parse_all($lines, errors);
    CHECK_EQ(errors, $nerr);
    CHECK_EQ(cfg.size(), static_cast<std::size_t>($nkeys));
$gets
    CHECK_EQ($get_or(cfg, "$absent", $fallback), $fallback);
    CHECK_EQ($sum_keys(cfg, {$sum_list}), $sumv);
    long long big = 0;
    CHECK($parse_int("$bigtxt", big));
    CHECK_EQ(big, $bigv);
    CHECK(!$parse_int("$badnum", big));
    return 0;
}
"""

KEYS = "port retries timeout depth width height level limit threads workers verbose seed batch".split()


def config_parser(rng: random.Random) -> Draft:
    name = Namer(rng)
    sep = rng.choice(["=", ":"])
    keys = rng.sample(KEYS, rng.randint(3, 6))
    values = {k: rng.randint(-500, 90000) for k in keys}
    lines = []
    for k in keys:
        pad_l, pad_r = " " * rng.randint(0, 2), " " * rng.randint(1, 2)
        lines.append(f"{k}{pad_r}{sep}{pad_l}{values[k]}")
    bad = [rng.choice(KEYS) + " " + str(rng.randint(1, 99)), f"{rng.choice(KEYS)}{sep}1x{rng.randint(1, 9)}"]
    for b in bad:
        lines.insert(rng.randrange(len(lines) + 1), b)
    absent = rng.choice([k for k in KEYS if k not in keys])
    big = rng.randint(3_000_000_000, 9_000_000_000)
    chosen = rng.sample(keys, min(2, len(keys)))
    subs = dict(
        Entry=name("Entry", "Setting", "Pair", "Option"),
        Config=name("Config", "Settings", "Table", "Options"),
        trim=name("trim", "strip", "trimmed", "strip_spaces"),
        parse_int=name("parse_int", "to_number", "read_int", "parse_number"),
        parse_line=name("parse_line", "split_line", "read_entry", "parse_entry"),
        parse_all=name("parse_all", "load", "parse_config", "read_all"),
        get_or=name("get_or", "value_or", "lookup_or", "get_value"),
        sum_keys=name("sum_keys", "total_of", "sum_values", "add_up"),
        lines=name("lines", "input", "text_lines", "rows"),
        sep=sep,
        lines_init=",\n".join(f'        "{line}"' for line in lines),
        nerr=len(bad),
        nkeys=len(keys),
        gets="\n".join(
            f'    CHECK_EQ({{get_or}}(cfg, "{k}", -1), {values[k]});'.replace("{get_or}", "$get_or")
            for k in chosen
        ),
        absent=absent,
        fallback=rng.randint(-9, 9),
        sum_list=", ".join(f'"{k}"' for k in [*chosen, absent]),
        sumv=sum(values[k] for k in chosen),
        bigtxt=str(big),
        bigv=f"{big}LL",
        badnum=rng.choice(["12a", "--4", "7 7", "x9"]),
    )
    subs["gets"] = Template(subs["gets"]).substitute(get_or=subs["get_or"])
    text = CHECK_HEADER + Template(CONFIG_SRC).substitute(subs)
    return Draft(family="config_parser", filename="config.cpp", text=text)
