"""Code units and contrastive pair mining on a small hand-written repository."""

from __future__ import annotations

import json

from cppllm.pipeline.codeunits import extract_units, line_of
from cppllm.pipeline.pairs import PairMiner, main, mine_pairs

HEADER = """// shapes.h: geometry helpers
#pragma once
#include <cmath>

namespace geo {

class Circle {
 public:
  /// Area of the circle in square units.
  double area() const;
  // Scales the radius by a positive factor.
  void scale(double f) { r_ *= f; }

 private:
  double r_ = 1.0;
};

/** Distance between two points on the plane. */
double distance(double x0, double y0, double x1, double y1);

}  // namespace geo
"""

SOURCE = """#include "shapes.h"

namespace geo {

double Circle::area() const {
  const double pi = 3.14159;
  return pi * r_ * r_;
}

double distance(double x0, double y0, double x1, double y1) {
  double dx = x1 - x0, dy = y1 - y0;
  return std::sqrt(dx * dx + dy * dy);
}

}  // namespace geo
"""

TEST = """#include "shapes.h"

TEST(Geo, Distance) {
  EXPECT_EQ(geo::distance(0, 0, 3, 4), 5.0);
  helper();
}
"""

FILES = {"include/shapes.h": HEADER, "src/shapes.cpp": SOURCE, "tests/distance_test.cpp": TEST}


def test_units_with_doc_comments_and_lines():
    units = extract_units(HEADER)
    by_name = {(u.kind, u.name): u for u in units}
    area = by_name[("declaration", "Circle::area")]
    assert area.doc == "Area of the circle in square units."
    assert area.signature == "double area() const"
    scale = by_name[("function", "Circle::scale")]
    assert scale.doc == "Scales the radius by a positive factor."
    assert scale.code(HEADER).startswith("void scale(double f)")
    assert line_of(HEADER, scale.start) == 12
    assert by_name[("declaration", "distance")].doc == "Distance between two points on the plane."
    assert ("class", "Circle") in by_name
    assert units[0].kind == "file_header" and units[0].doc == "shapes.h: geometry helpers"


def test_mine_pairs_every_kind():
    pairs = mine_pairs(FILES, "geo")
    kinds = {}
    for p in pairs:
        kinds.setdefault(p.kind, []).append(p)
    # doc: the comment is the query, the code without its comment the positive
    doc = {p.query: p for p in kinds["doc"]}
    assert doc["Scales the radius by a positive factor."].positive == "void scale(double f) { r_ *= f; }"
    assert all("///" not in p.positive and "/**" not in p.positive for p in kinds["doc"])
    # decl_def: the header declaration (with its comment) -> the definition in the .cpp
    dd = {p.positive.split("(")[0]: p for p in kinds["decl_def"]}
    assert dd["double Circle::area"].query.startswith("/// Area of the circle")
    assert dd["double distance"].path == "src/shapes.cpp" and dd["double distance"].line == 10
    # test_call: the test -> the repository function it calls (not the framework macro, not helper())
    (tc,) = kinds["test_call"]
    assert tc.query.startswith("TEST(Geo, Distance)") and tc.positive.startswith("double distance(")
    # signature: name + signature -> body
    sig = {p.query: p for p in kinds["signature"]}
    assert sig["double Circle::area() const"].positive.startswith("{\n  const double pi")
    # hard negatives are other functions of the repository, never the positive
    assert all(p.negative and p.negative != p.positive for p in pairs)


def test_step_counts_and_cli_split_by_repository(tmp_path):
    for repo in ("alpha", "beta"):
        for path, text in FILES.items():
            f = tmp_path / "src" / repo / path
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(text)
    out = tmp_path / "out"
    assert main(["--source", str(tmp_path / "src"), "--val-repo", "beta", "--out", str(out)]) == 0
    rows = {s: [json.loads(x) for x in (out / "pairs" / f"{s}.jsonl").read_text().splitlines()]
            for s in ("train", "val")}  # fmt: skip
    assert {r["repo"] for r in rows["train"]} == {"alpha"} and {r["repo"] for r in rows["val"]} == {"beta"}
    stats = json.loads((out / "pairs" / "stats.json").read_text())
    assert stats["counts"]["pairs_test_call"] == 2 and stats["counts"]["repositories"] == 2
    assert stats["splits"]["val"]["pairs"] == len(rows["val"]) > 0
    step = PairMiner(val_fraction=0.0)
    assert list(step.run(iter([]))) == []


CALLS = """namespace geo {

double square(double x) {
  return x * x;
}

double norm2(double x, double y) {
  double s = 0;
  s += square(x) + square(y);
  return s;
}

}  // namespace geo
"""


def test_call_pairs_from_call_lines_to_the_callee():
    pairs = mine_pairs({"src/norm.cpp": CALLS, "tests/distance_test.cpp": TEST}, "geo")
    (call,) = [p for p in pairs if p.kind == "call"]
    assert call.query == "s += square(x) + square(y);"
    assert call.positive.startswith("double square(double x)") and call.line == 3
    assert call.negative.startswith("double norm2")  # the only other function
