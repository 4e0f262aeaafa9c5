"""Object families: a map-backed registry, a dense matrix, an RAII resource pool and a ring buffer class."""

from __future__ import annotations

import random
from string import Template

from cppllm.bugs.template import CHECK_HEADER, Draft, Namer

REGISTRY_SRC = """#include <memory>
#include <string>
#include <unordered_map>

struct $Acct {
    std::string owner;
    long long balance = 0;
    int ops = 0;
};

long long $scaled(int amount, int factor) {
    return ⟦integer_overflow¦static_cast<long long>(amount) * factor¦amount * factor⟧;
}

class $Bank {
public:
    $Acct* open(int id, const std::string& owner, long long initial) {
        auto acct = std::make_unique<$Acct>();
        acct->owner = owner;
        acct->balance = initial;
        $Acct* raw = acct.get();
        $accounts[id] = std::move(acct);
        return raw;
    }

$get_impl

    long long balance_or(int id, long long fallback) {
        $Acct* a = get(id);
⟦null_deref.lookup¦        if (a == nullptr) return fallback;
¦⟧        return a->balance;
    }

    bool transfer(int from, int to, long long amount) {
        $Acct* a = get(from);
        $Acct* b = get(to);
        if (a == nullptr ⟦wrong_operator.logic¦||¦&&⟧ b == nullptr) return false;
        if (a->balance < amount) return false;
        a->balance -= amount;
        ⟦wrong_variable¦b¦a⟧->balance += amount;
        ++a->ops;
        ++b->ops;
        return true;
    }

    int ops_of(int id) const {
        auto it = $accounts.find(id);
⟦null_deref.find¦        if (it == $accounts.end()) return -1;
¦⟧        return it->second->ops;
    }

    long long close(int id) {
        auto it = $accounts.find(id);
        if (it == $accounts.end()) return 0;
⟦use_after_free¦        long long left = it->second->balance;
        $accounts.erase(it);
        return left;¦        $Acct* gone = it->second.get();
        $accounts.erase(it);
        return gone->balance;⟧
    }

    std::size_t size() const { return $accounts.size(); }

private:
    std::unordered_map<int, std::unique_ptr<$Acct>> $accounts;
};

int main() {
    $Bank $bank;
$opens
    CHECK_EQ($bank.balance_or($id0, -1), $bal0);
    CHECK_EQ($bank.balance_or($missing, $fallback), $fallback);
    CHECK($bank.transfer($id0, $id1, $amount));
    CHECK_EQ($bank.balance_or($id0, -1), $bal0_after);
    CHECK_EQ($bank.balance_or($id1, -1), $bal1_after);
    CHECK(!$bank.transfer($id0, $missing, 1));
    CHECK_EQ($bank.ops_of($id1), 1);
    CHECK_EQ($bank.ops_of($missing), -1);
    CHECK_EQ($scaled($big_a, $big_b), $big_ab);
    CHECK_EQ($bank.close($id1), $bal1_after);
    CHECK_EQ($bank.size(), static_cast<std::size_t>($n_after));
    return 0;
}
"""


GET_BY_FIND = """    $Acct* get(int id) {
        auto it = $accounts.find(id);
        return it == $accounts.end() ? nullptr : it->second.get();
    }
"""

GET_BY_COUNT = """    $Acct* get(int id) {
        if ($accounts.count(id) == 0) return nullptr;
        return $accounts.at(id).get();
    }
"""


def registry(rng: random.Random) -> Draft:
    name = Namer(rng)
    ids = rng.sample(range(1, 5000), rng.randint(3, 6))
    owners = rng.sample(["ada", "bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy"], len(ids))
    bals = [rng.randint(100, 100000) for _ in ids]
    missing = rng.choice([i for i in range(1, 6000) if i not in ids])
    amount = rng.randint(1, bals[0])
    big_a, big_b = rng.randint(50_000, 400_000), rng.randint(50_000, 400_000)
    subs = dict(
        Acct=name("Account", "Acct", "Wallet", "Ledger"),
        Bank=name("Bank", "Registry", "Accounts", "Vault"),
        scaled=name("scaled", "times", "multiply_amount", "scale_by"),
        accounts=name("accounts_", "by_id_", "table_", "entries_"),
        bank=name("bank", "reg", "book", "store"),
        opens="\n".join(
            f'    CHECK({{bank}}.open({i}, "{o}", {b}) != nullptr);'
            for i, o, b in zip(ids, owners, bals, strict=True)
        ),
        id0=ids[0],
        id1=ids[1],
        bal0=bals[0],
        missing=missing,
        fallback=rng.randint(-9, -2),
        amount=amount,
        bal0_after=bals[0] - amount,
        bal1_after=bals[1] + amount,
        big_a=big_a,
        big_b=big_b,
        big_ab=f"{big_a * big_b}LL",
        n_after=len(ids) - 1,
    )
    subs["opens"] = subs["opens"].replace("{bank}", subs["bank"])
    subs["get_impl"] = Template(rng.choice([GET_BY_FIND, GET_BY_COUNT])).substitute(subs)
    return Draft(
        family="registry", filename="bank.cpp", text=CHECK_HEADER + Template(REGISTRY_SRC).substitute(subs)
    )


MATRIX_SRC = """#include <cstddef>
#include <vector>

struct $Mat {
    int rows;
    int cols;
    std::vector<int> cells;
    $Mat(int r, int c) : rows(r), cols(c), cells(static_cast<std::size_t>(r) * c, 0) {}
    int& at(int i, int j) { return cells[static_cast<std::size_t>(i) * cols + j]; }
    int at(int i, int j) const { return cells[static_cast<std::size_t>(i) * cols + j]; }
};

$Mat $transpose(const $Mat& m) {
    $Mat t(⟦wrong_variable¦m.cols, m.rows¦m.rows, m.cols⟧);
    for (int i = 0; i < m.rows; ++i) {
        for (int j = 0; j < m.cols; ++j) t.at(j, i) = m.at(i, j);
    }
    return t;
}

$Mat $multiply(const $Mat& a, const $Mat& b) {
    $Mat c(a.rows, b.cols);
    for (int i = 0; i < a.rows; ++i) {
        for (int j = 0; j < b.cols; ++j) {
            int s⟦uninitialized¦ = 0¦⟧;
            for (int k = 0; k < a.cols; ++k) s += a.at(i, k) * b.at(k, j);
            c.at(i, j) = s;
        }
    }
    return c;
}

int $trace(const $Mat& m) {
    int s = 0;
    for (int i = 0; i ⟦off_by_one¦<¦<=⟧ m.rows; ++i) s += m.at(i, i);
    return s;
}

int $row_max(const $Mat& m, int r) {
    int best = m.at(r, 0);
    for (int j = 1; j < m.cols; ++j) {
        if (m.at(r, j) ⟦wrong_operator.compare¦>¦<⟧ best) best = m.at(r, j);
    }
    return best;
}

long long $sum_squares(const $Mat& m) {
    long long total = 0;
    for (int x : m.cells) total += ⟦integer_overflow¦static_cast<long long>(x) * x¦x * x⟧;
    return total;
}

bool $is_symmetric(const $Mat& m) {
    if (m.rows != m.cols) return false;
    for (int i = 0; i < m.rows; ++i) {
        for (int j = 0; j < i; ++j) {
            if (m.at(i, j) != m.at(j, i)) return false;
        }
    }
⟦missing_return¦    return true;
¦⟧}

$Mat $from(int r, int c, const std::vector<int>& v) {
    $Mat m(r, c);
    m.cells = v;
    return m;
}

int main() {
    $Mat a = $from($r, $c, {$a_cells});
    $Mat b = $from($c, $p, {$b_cells});
    $Mat t = $transpose(a);
    CHECK_EQ(t.rows, $c);
    CHECK_EQ(t.at($tj, $ti), $a_ij);
    CHECK(t.cells == std::vector<int>({$t_cells}));
    $Mat prod = $multiply(a, b);
    CHECK(prod.cells == std::vector<int>({$prod_cells}));
    $Mat sq = $from($n, $n, {$sq_cells});
    CHECK_EQ($trace(sq), $tr);
    CHECK_EQ($row_max(a, $rr), $rmax);
    CHECK($is_symmetric($from(2, 2, {$s0, $s1, $s1, $s2})));
    CHECK(!$is_symmetric(sq));
    CHECK_EQ($sum_squares($from(1, 2, {$big, $small})), $ssq);
    return 0;
}
"""


def matrix(rng: random.Random) -> Draft:
    name = Namer(rng)
    r = rng.randint(2, 4)
    c = rng.choice([x for x in range(2, 6) if x != r])
    p = rng.randint(2, 4)
    a = [[rng.randint(-9, 9) for _ in range(c)] for _ in range(r)]
    b = [[rng.randint(-9, 9) for _ in range(p)] for _ in range(c)]
    t = [[a[i][j] for i in range(r)] for j in range(c)]
    prod = [[sum(a[i][k] * b[k][j] for k in range(c)) for j in range(p)] for i in range(r)]
    n = rng.randint(2, 4)
    sq = [[rng.randint(-9, 9) for _ in range(n)] for _ in range(n)]
    sq[0][1], sq[1][0] = 5, -5  # never symmetric
    ti, tj = rng.randrange(r), rng.randrange(c)
    rr = rng.randrange(r)
    big, small = rng.randint(50_000, 200_000), rng.randint(-50, 50)

    def flat(m):
        return ", ".join(str(x) for row in m for x in row)

    subs = dict(
        Mat=name("Mat", "Matrix", "Grid", "Table2D"),
        transpose=name("transpose", "transposed", "flip", "swap_axes"),
        multiply=name("multiply", "matmul", "product", "mul"),
        trace=name("trace", "diag_sum", "diagonal_total", "tr"),
        row_max=name("row_max", "max_in_row", "row_peak", "largest_in_row"),
        sum_squares=name("sum_squares", "energy", "squared_norm", "sum_sq"),
        is_symmetric=name("is_symmetric", "symmetric", "mirror_equal", "is_sym"),
        **{"from": name("from_values", "make", "build", "matrix_of")},
        r=r,
        c=c,
        p=p,
        a_cells=flat(a),
        b_cells=flat(b),
        t_cells=flat(t),
        prod_cells=flat(prod),
        n=n,
        sq_cells=flat(sq),
        tr=sum(sq[i][i] for i in range(n)),
        ti=ti,
        tj=tj,
        a_ij=a[ti][tj],
        rr=rr,
        rmax=max(a[rr]),
        s0=rng.randint(-9, 9),
        s1=rng.randint(-9, 9),
        s2=rng.randint(-9, 9),
        big=big,
        small=small,
        ssq=f"{big * big + small * small}LL",
    )
    return Draft(
        family="matrix", filename="matrix.cpp", text=CHECK_HEADER + Template(MATRIX_SRC).substitute(subs)
    )


POOL_SRC = """#include <memory>
#include <utility>
#include <vector>

class $Res {
public:
    explicit $Res(int id) : id_(id) {}
    int id() const { return id_; }
    int uses() const { return uses_; }
    void use() { ++uses_; }

private:
    int id_;
    int uses_ = 0;
};

class $Pool {
public:
    explicit $Pool(int n) {
        for (int i = 0; i < n; ++i) free_.push_back(std::make_unique<$Res>(i + $base));
    }
    std::unique_ptr<$Res> acquire() {
        if (free_.empty()) return nullptr;
        std::unique_ptr<$Res> r = std::move(free_.back());
        free_.pop_back();
        r->use();
        return r;
    }
    void release(std::unique_ptr<$Res> r) {
        if (r) free_.push_back(std::move(r));
    }
    std::size_t available() const { return free_.size(); }

private:
    std::vector<std::unique_ptr<$Res>> free_;
};

class $Lease {
public:
    explicit $Lease($Pool& p) : pool_(p)⟦null_deref.uninit_ptr¦, held_(nullptr)¦⟧ {}
    ~$Lease() {
        if (held_ != nullptr) pool_.release(std::unique_ptr<$Res>(held_));
    }
    $Lease(const $Lease&) = delete;
    $Lease& operator=(const $Lease&) = delete;
    bool take() {
        held_ = pool_.acquire().release();
        return held_ != nullptr;
    }
    int id() const { return held_ != nullptr ? held_->id() : -1; }

private:
    $Pool& pool_;
    $Res* held_;
};

int $use_twice($Pool& pool) {
    std::unique_ptr<$Res> r = pool.acquire();
⟦null_deref.missing_check¦    if (!r) return -1;
¦⟧    r->use();
    int id = r->id();
    pool.release(std::move(r));
    return id;
}

int $hand_back($Pool& pool) {
    std::unique_ptr<$Res> r = pool.acquire();
    if (!r) return -1;
⟦null_deref.move¦    int uses = r->uses();
    pool.release(std::move(r));
    return uses;¦    pool.release(std::move(r));
    return r->uses();⟧
}

int $recycle($Pool& pool) {
    std::unique_ptr<$Res> r = pool.acquire();
    if (!r) return -1;
⟦null_deref.reset¦    int id = r->id();
    r.reset();
    return id;¦    r.reset();
    return r->id();⟧
}

int $drop($Pool& pool) {
    std::unique_ptr<$Res> r = pool.acquire();
    if (!r) return -1;
    $Res* raw = r.get();
⟦use_after_free¦    int id = raw->id();
    r.reset();
    return id;¦    r.reset();
    return raw->id();⟧
}

int main() {
    $Pool pool($n);
    {
        $Lease lease(pool);
        CHECK_EQ(lease.id(), -1);
        CHECK(lease.take());
        CHECK_EQ(lease.id(), $last_id);
        CHECK_EQ(pool.available(), static_cast<std::size_t>($n_minus_1));
    }
    CHECK_EQ(pool.available(), static_cast<std::size_t>($n));
    CHECK_EQ($use_twice(pool), $last_id);
    CHECK_EQ($hand_back(pool), $uses_after);
    CHECK_EQ($recycle(pool), $last_id);
    CHECK_EQ(pool.available(), static_cast<std::size_t>($n_minus_1));
    CHECK_EQ($drop(pool), $second_last_id);
$drain
    CHECK_EQ($use_twice(pool), -1);
    return 0;
}
"""


def resource_pool(rng: random.Random) -> Draft:
    name = Namer(rng)
    n = rng.randint(3, 6)
    base = rng.randint(0, 900)
    last = base + n - 1
    subs = dict(
        Res=name("Resource", "Handle", "Conn", "Slot", "Worker"),
        Pool=name("Pool", "ResourcePool", "FreeList", "Cache"),
        Lease=name("Lease", "Borrow", "Guard", "Holder"),
        use_twice=name("use_twice", "borrow_and_use", "touch", "exercise"),
        hand_back=name("hand_back", "return_uses", "give_back", "lend_once"),
        recycle=name("recycle", "discard_one", "retire", "consume"),
        drop=name("drop", "destroy_one", "burn", "evict"),
        n=n,
        n_minus_1=n - 1,
        base=base,
        last_id=last,
        # acquired three times so far (lease, use_twice: each acquire() uses once, use_twice once more)
        uses_after=4,
        second_last_id=last - 1,
        drain="\n".join("    CHECK(pool.acquire().release() != nullptr);" for _ in range(n - 2)),
    )
    text = CHECK_HEADER + Template(POOL_SRC).substitute(subs)
    return Draft(family="resource_pool", filename="pool.cpp", text=text)


RING_SRC = """#include <cstddef>

class $Ring {
public:
    explicit $Ring(std::size_t cap) : buf_(new $T[cap]), cap_(cap)⟦uninitialized¦, size_(0)¦⟧ {}
    ~$Ring() { delete[] buf_; }
    $Ring(const $Ring&) = delete;
    $Ring& operator=(const $Ring&) = delete;

    bool push($T v) {
        if (size_ ⟦off_by_one¦==¦>⟧ cap_) return false;
        buf_[(head_ + size_) % cap_] = v;
        ++size_;
        return true;
    }

    bool pop($T& out) {
        if (size_ == 0) return false;
        out = buf_[head_];
        head_ = (head_ + 1) % ⟦wrong_variable¦cap_¦size_⟧;
        --size_;
⟦missing_return¦        return true;
¦⟧    }

    $T back() const { return buf_[(head_ + size_ ⟦off_by_one¦- 1¦⟧) % cap_]; }
    std::size_t size() const { return size_; }
    bool full() const { return size_ ⟦wrong_operator.compare¦==¦<⟧ cap_; }

    $T sum() const {
        $T s = 0;
        for (std::size_t i = 0; i < size_; ++i) s += buf_[(head_ + i) % cap_];
        return s;
    }

private:
    $T* buf_;
    std::size_t cap_;
    std::size_t head_ = 0;
    std::size_t size_;
};

int main() {
    $Ring $q($cap);
$fill
    CHECK($q.full());
    CHECK(!$q.push($extra));
    $T out = 0;
$pops
    CHECK_EQ($q.size(), static_cast<std::size_t>($left));
$refill
    CHECK_EQ($q.size(), static_cast<std::size_t>($final_size));
    CHECK_EQ($q.back(), $backv);
    CHECK_EQ($q.sum(), $sumv);
$drain
    CHECK_EQ($q.size(), static_cast<std::size_t>(0));
    CHECK(!$q.pop(out));
    return 0;
}
"""


def ring_buffer(rng: random.Random) -> Draft:
    name = Namer(rng)
    t = rng.choice(["int", "long", "long long"])
    cap = rng.randint(3, 7)
    first = [rng.randint(-99, 99) for _ in range(cap)]
    k = rng.randint(2, cap)
    again = [rng.randint(-99, 99) for _ in range(rng.randint(1, k))]
    q = name("q", "ring", "buf", "fifo")
    queue = first[k:] + again
    subs = dict(
        T=t,
        Ring=name("Ring", "RingBuffer", "CircularQueue", "Fifo"),
        q=q,
        cap=cap,
        fill="\n".join(f"    CHECK({q}.push({v}));" for v in first),
        extra=rng.randint(-9, 9),
        pops="\n".join(f"    CHECK({q}.pop(out));\n    CHECK_EQ(out, {v});" for v in first[:k]),
        left=cap - k,
        refill="\n".join(f"    CHECK({q}.push({v}));" for v in again),
        final_size=len(queue),
        backv=queue[-1],
        sumv=sum(queue),
        drain="\n".join(f"    CHECK({q}.pop(out));\n    CHECK_EQ(out, {v});" for v in queue),
    )
    return Draft(
        family="ring_buffer", filename="ring.cpp", text=CHECK_HEADER + Template(RING_SRC).substitute(subs)
    )
