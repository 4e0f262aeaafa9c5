from cppllm.bugs.locate import function_at, functions, report_site

SRC = """#include <map>
#define CHECK(c) do { if (!(c)) { return 1; } } while (0)
namespace ns {
class Box {
 public:
  int get() const {
    if (v_ > 0) { return v_; }
    return 0;
  }
  explicit Box(int v) : v_(v) {}
 private:
  int v_;
};
}  // namespace ns
// a comment { with braces }
int twice(int x) {
  const char* s = "}{";
  std::map<int, int> m = {{1, 2}};
  return 2 * x + (s[0] == '}') + m.size();
}
"""


def test_functions_are_found_with_their_class_and_lines():
    spans = {s.name: (s.start, s.end) for s in functions(SRC)}
    assert spans == {"Box::get": (6, 9), "Box::Box": (10, 10), "twice": (16, 20)}
    assert function_at(SRC, 7).name == "Box::get"
    assert function_at(SRC, 18).short == "twice"
    assert function_at(SRC, 15) is None


def test_report_site_reads_sanitizer_frames_ubsan_lines_and_failed_checks():
    asan = (
        "==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x6020 at pc 0x55 bp 0x7f sp 0x7e\n"
        "READ of size 8 at 0x6020 thread T0\n"
        "    #0 0x55a in strlen (/lib/libasan.so+0x1)\n"
        "    #1 0x55b in Bank::close(int) bank.cpp:61\n"
        "    #2 0x55c in main bank.cpp:99\n"
    )
    site = report_site(asan, "bank.cpp")
    assert (site.line, site.symbol) == (61, "Bank::close")
    assert site.message == "AddressSanitizer: heap-use-after-free on address 0x6020"
    ub = "list.cpp:49:16: runtime error: member access within null pointer of type 'struct Cell'\n"
    assert report_site(ub, "list.cpp").line == 49
    chk = "ring.cpp:74: in main: CHECK(!q.push(7)) failed\n"
    assert (report_site(chk, "ring.cpp").line, report_site(chk, "ring.cpp").symbol) == (74, "main")
    assert report_site(chk, "other.cpp") is None
