"""Pointer-linked families: singly linked lists and binary search trees (raw owning pointers)."""

from __future__ import annotations

import random
from string import Template

from cppllm.bugs.template import CHECK_HEADER, Draft, Namer


def _lit(v: int, t: str) -> str:
    return f"{v}LL" if t == "long long" else (f"{v}L" if t == "long" else str(v))


LIST_SRC = """
struct $Node {
    $T $val;
    $Node* $next;
};

$Node* $push($Node* $h, $T v) {
    return new $Node{v, $h};
}

$total_impl

$Node* $find($Node* n, $T key) {
    for (; n != nullptr; n = n->$next) {
        if (n->$val ⟦wrong_operator.compare¦==¦!=⟧ key) return n;
    }
⟦missing_return¦    return nullptr;
¦⟧}

int $count_after($Node* $h, $T key) {
    $Node* hit = $find($h, key);
⟦null_deref.lookup¦    if (hit == nullptr) return -1;
¦⟧    int c = 0;
    for ($Node* p = hit->$next; p != nullptr; p = p->$next) ++c;
    return c;
}

$T $nth(const $Node* n, int i) {
    for (int k = 0; k ⟦off_by_one¦<¦<=⟧ i; ++k) n = n->$next;
    return n->$val;
}

int $count_above(const $Node* n, $T limit) {
    int c = 0;
    for (; n != nullptr; n = n->$next) {
        if (n->$val ⟦wrong_operator.compare¦>¦>=⟧ limit) ++c;
    }
    return c;
}

$Node* $pop($Node* $h) {
⟦use_after_free¦    $Node* rest = $h->$next;
    delete $h;
    return rest;¦    delete $h;
    return $h->$next;⟧
}

void $free_all($Node* n) {
    while (n != nullptr) {
⟦use_after_free¦        $Node* following = n->$next;
        delete n;
        n = following;¦        delete n;
        n = n->$next;⟧
    }
}

int main() {
    $Node* $h = nullptr;
$pushes
    CHECK_EQ($total($h), $sum);
    CHECK_EQ($nth($h, $last), $last_val);
    CHECK_EQ($nth($h, 1), $second_val);
    CHECK_EQ($count_above($h, $limit), $above);
    CHECK($find($h, $missing) == nullptr);
    CHECK_EQ($count_after($h, $missing), -1);
    CHECK_EQ($count_after($h, $probe), $after);
    $h = $pop($h);
    CHECK_EQ($h->$val, $second_val);
    $free_all($h);
    return 0;
}
"""

TOTAL_RECURSIVE = """$T $total(const $Node* n) {
⟦null_deref.missing_check¦    if (n == nullptr) return 0;
¦⟧    return n->$val + $total(n->$next);
}"""

TOTAL_ITERATIVE = """$T $total(const $Node* n) {
    $T acc⟦uninitialized¦ = 0¦⟧;
    for (; n != nullptr; n = n->$next) acc += n->$val;
    return acc;
}"""


def linked_list(rng: random.Random) -> Draft:
    name = Namer(rng)
    t = rng.choice(["int", "long", "long long"])
    vals = rng.sample(range(-40, 120), rng.randint(5, 9))
    missing = rng.choice([v for v in range(-60, 140) if v not in vals])
    limit = rng.choice(vals[1:])
    probe = rng.randrange(len(vals) - 1)
    subs = dict(
        T=t,
        Node=name("Node", "ListNode", "Link", "Cell", "Elem", "Item"),
        val=name("value", "val", "data", "payload", "key"),
        next=name("next", "succ", "forward", "after"),
        h=name("head", "first", "front", "list"),
        push=name("push_front", "prepend", "cons", "add_front"),
        total=name("total", "sum_list", "list_sum", "accumulate_all"),
        find=name("find_node", "lookup", "search", "locate"),
        count_after=name("count_after", "nodes_after", "remaining_after", "tail_length_from"),
        nth=name("nth", "value_at", "element_at", "get_at"),
        count_above=name("count_above", "count_greater", "num_above", "how_many_above"),
        pop=name("pop_front", "drop_first", "remove_head", "shift"),
        free_all=name("free_all", "destroy", "release_list", "clear_list"),
    )
    subs["total_impl"] = Template(rng.choice([TOTAL_RECURSIVE, TOTAL_ITERATIVE])).substitute(subs)
    subs.update(
        pushes="\n".join(f"    {subs['h']} = {subs['push']}({subs['h']}, {_lit(v, t)});" for v in vals[::-1]),
        sum=_lit(sum(vals), t),
        last=len(vals) - 1,
        last_val=_lit(vals[-1], t),
        second_val=_lit(vals[1], t),
        limit=_lit(limit, t),
        above=sum(v > limit for v in vals),
        missing=_lit(missing, t),
        probe=_lit(vals[probe], t),
        after=len(vals) - probe - 1,
    )
    return Draft(
        family="linked_list", filename="list.cpp", text=CHECK_HEADER + Template(LIST_SRC).substitute(subs)
    )


BST_FIND_ITERATIVE = """$Node* $find($Node* root, $T k) {
    while (root != nullptr && root->$key != k) {
        root = k < root->$key ? root->$left : root->$right;
    }
    return root;
}
"""

BST_FIND_RECURSIVE = """$Node* $find($Node* root, $T k) {
    if (root == nullptr || root->$key == k) return root;
    return $find(k < root->$key ? root->$left : root->$right, k);
}
"""

BST_SRC = """#include <algorithm>

struct $Node {
    $T $key;
    $Node* $left = nullptr;
    $Node* $right = nullptr;
    explicit $Node($T k) : $key(k) {}
};

$Node* $insert($Node* root, $T k) {
    if (root == nullptr) return new $Node(k);
    if (k ⟦wrong_operator.compare¦<¦>⟧ root->$key) {
        root->$left = $insert(root->$left, k);
    } else if (k > root->$key) {
        root->$right = $insert(root->$right, k);
    }
    return root;
}

$find_impl

bool $contains($Node* root, $T k) {
    return $find(root, k) != nullptr;
}

$T $min_key(const $Node* root, $T fallback) {
⟦null_deref.missing_check¦    if (root == nullptr) return fallback;
¦⟧    while (root->$left != nullptr) root = root->$left;
    return root->$key;
}

int $height(const $Node* n) {
⟦null_deref.missing_check¦    if (n == nullptr) return 0;
¦⟧    return 1 + std::max($height(n->$left), $height(n->$right));
}

int $depth_of($Node* root, $T k) {
    int d = 0;
    while (root != nullptr) {
        if (root->$key == k) return d;
        root = k < root->$key ? root->$left : root->$right;
        ++d;
    }
⟦missing_return¦    return -1;
¦⟧}

$T $subtree_max($Node* root, $T k) {
    $Node* at = $find(root, k);
⟦null_deref.lookup¦    if (at == nullptr) return k;
¦⟧    while (at->$right != nullptr) at = at->$right;
    return at->$key;
}

int $count_range(const $Node* n, $T lo, $T hi) {
    if (n == nullptr) return 0;
    int here = (n->$key >= lo && n->$key ⟦wrong_operator.compare¦<=¦<⟧ hi) ? 1 : 0;
    return here + $count_range(n->$left, lo, hi) + $count_range(n->$right, lo, hi);
}

void $destroy($Node* n) {
    if (n == nullptr) return;
⟦use_after_free¦    $destroy(n->$left);
    $destroy(n->$right);
    delete n;¦    delete n;
    $destroy(n->$left);
    $destroy(n->$right);⟧
}

int main() {
    $Node* $root = nullptr;
$inserts
    CHECK($contains($root, $present));
    CHECK(!$contains($root, $missing));
    CHECK_EQ($min_key($root, static_cast<$T>(0)), $minv);
    CHECK_EQ($min_key(nullptr, static_cast<$T>($fallback)), $fallback);
    CHECK_EQ($height($root), $h);
    CHECK_EQ($height(nullptr), 0);
    CHECK_EQ($depth_of($root, $keys0), 0);
    CHECK_EQ($depth_of($root, $missing), -1);
    CHECK_EQ($subtree_max($root, $keys0), $maxv);
    CHECK_EQ($subtree_max($root, $missing), $missing);
    CHECK_EQ($count_range($root, $lo, $hi), $in_range);
    $destroy($root);
    return 0;
}
"""


def _bst_height(keys: list[int]) -> int:
    tree: dict[int, list] = {}
    root = None
    for k in keys:
        if root is None:
            root = k
            tree[k] = [None, None, 1]
            continue
        cur, depth = root, 1
        while True:
            side = 0 if k < cur else 1
            depth += 1
            nxt = tree[cur][side]
            if nxt is None:
                tree[cur][side] = k
                tree[k] = [None, None, depth]
                break
            cur = nxt
    return max(v[2] for v in tree.values())


def bst(rng: random.Random) -> Draft:
    name = Namer(rng)
    t = rng.choice(["int", "long", "long long", "short"])
    keys = rng.sample(range(-50, 200), rng.randint(6, 12))
    missing = rng.choice([v for v in range(-80, 230) if v not in keys])
    lo, hi = sorted(rng.sample(keys, 2))
    subs = dict(
        T=t,
        Node=name("Node", "TreeNode", "Vertex", "Branch", "Leaf"),
        key=name("key", "value", "k", "label"),
        left=name("left", "lo", "l", "less"),
        right=name("right", "hi", "r", "more"),
        root=name("root", "tree", "top", "t"),
        insert=name("insert", "add", "put", "insert_key"),
        find=name("find", "find_node", "search", "locate"),
        contains=name("contains", "has", "member", "exists"),
        min_key=name("min_key", "smallest", "minimum", "leftmost_key"),
        height=name("height", "depth", "levels", "tree_height"),
        depth_of=name("depth_of", "level_of", "distance_to", "path_length"),
        subtree_max=name("subtree_max", "max_below", "largest_under", "rightmost_from"),
        count_range=name("count_range", "count_between", "range_count", "num_in_range"),
        destroy=name("destroy", "free_tree", "release", "clear_tree"),
    )
    k0 = keys[0]
    subs["find_impl"] = Template(rng.choice([BST_FIND_ITERATIVE, BST_FIND_RECURSIVE])).substitute(subs)
    subs.update(
        inserts="\n".join(f"    {subs['root']} = {subs['insert']}({subs['root']}, {k});" for k in keys),
        present=rng.choice(keys),
        missing=missing,
        minv=min(keys),
        fallback=rng.randint(-9, 9),
        h=_bst_height(keys),
        keys0=k0,
        maxv=max(keys),
        lo=lo,
        hi=hi,
        in_range=sum(lo <= k <= hi for k in keys),
    )
    text = CHECK_HEADER + Template(BST_SRC).substitute(subs)
    return Draft(family="bst", filename="tree.cpp", text=text)
