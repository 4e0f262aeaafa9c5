from cppllm.cppscan import closers, cut_balanced, find_functions, is_function_head, scan

SRC = r"""#ifndef X_H
#define X_H
#define OPEN {
namespace ns {
// a { in a comment
/* } in a block comment */
template <typename T>
inline T add(T a, T b) noexcept {
  const char* s = "}{\"";
  char c = '}';
  int big = 1'000'000;
  auto r = R"x(})x";
  if (a) { return a; }
  auto l = [](int x) { return x; };
  return a + b;
}
struct S {
  int get() const { return a; }
  int a;
};
int main(int argc, char** argv)
{
  for (int i = 0; i < 3; ++i) { }
  return 0;
}
"""


def test_braces_in_comments_literals_and_directives_are_ignored():
    kinds = [e.kind for e in scan(SRC)]
    assert kinds.count("{") == kinds.count("}") + 1  # only `namespace ns {` is left open
    assert kinds.count("#if") == 1


def test_find_functions_names_headers_and_bodies():
    fns = find_functions(SRC)
    heads = [f.header(SRC).split("\n")[-1] for f in fns]
    assert heads == ["inline T add(T a, T b) noexcept {", "int get() const {", "{"]
    assert fns[0].header(SRC).endswith("template <typename T>\ninline T add(T a, T b) noexcept {")
    assert fns[0].body(SRC).endswith("return a + b;\n}")
    assert fns[2].header(SRC).startswith("int main(")


def test_control_statements_lambdas_and_classes_are_not_functions():
    for head in (
        "if (x) ",
        "for (int i = 0; i < n; ++i) ",
        "while (true)",
        "auto l = [](int x) ",
        "struct S ",
        "} else ",
    ):
        assert not is_function_head(head), head
    for head in (
        "int f()",
        "void A::g(int x) const override",
        "Foo::Foo(int x) : a(x), b(x)",
        "bool operator==(const A&) const",
    ):
        assert is_function_head(head), head


def test_closers_close_scopes_innermost_first_with_semicolons_for_classes():
    prompt = SRC[: SRC.index("int get() const {") + len("int get() const {")]
    assert closers(prompt) == "\n}\n};\n}\n#endif\n"
    assert closers("int x;\n") == ""


def test_cut_balanced_stops_where_the_body_closes():
    prompt = "namespace a {\nint f() {"
    cut, was_cut = cut_balanced(prompt, " if (x) { y(); } return '}'; }\nint junk(", in_body=True)
    assert was_cut and cut == " if (x) { y(); } return '}'; }"
    cut, was_cut = cut_balanced("#include <x>\n", "class A { int f() { return 1; } };\nint z;", in_body=False)
    assert was_cut and cut == "class A { int f() { return 1; } };"
    cut, was_cut = cut_balanced("int f() {", " return 1;", in_body=True)
    assert not was_cut and cut == " return 1;"
