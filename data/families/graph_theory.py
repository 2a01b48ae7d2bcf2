"""Small graph families: degree of a node, number of edges, the node of largest degree, and the
shortest-path weight between two nodes of a weighted graph.

Nodes sit (jittered) on a circle, so no edge passes through a node; weighted graphs use only
non-crossing chords, so every weight label sits beside exactly one edge.
"""

from __future__ import annotations

import heapq
import itertools
import random

from svemath.data.families.base import QuestionParts, calc, register_family
from svemath.data.families.misc_util import build, choices_for, extreme_step, near_ints, pick, words
from svemath.data.graphs import Graph, circle_layout
from svemath.data.scene import Scene

SUBJECT = "graph theory"
KW = {"subject": SUBJECT, "dynamath_topic": "graph theory", "mathvista_task": "figure question answering"}
GRAPH_META = {"context": "abstract scene", "skills": ["logical reasoning", "arithmetic reasoning"]}


def _crosses(a: tuple[int, int], b: tuple[int, int]) -> bool:
    (p, q), (r, s) = sorted(a), sorted(b)
    return p < r < q < s or r < p < s < q


def make_graph(vr: random.Random, weighted: bool) -> tuple[list[str], list[tuple[str, str]], Scene, dict]:
    """Node names, edges (u, v) and the drawn scene (weights in ``weights`` when ``weighted``)."""
    n = vr.randint(4, 6) if weighted else vr.randint(4, 7)
    names = [chr(ord("A") + i) for i in range(n)]
    order = names[:] if vr.random() < 0.6 else vr.sample(names, n)  # positions around the circle
    cycle = [(i, (i + 1) % n) for i in range(n)]
    if weighted and vr.random() < 0.4:
        cycle.pop(vr.randrange(n))
    pairs = set(map(tuple, map(sorted, cycle)))
    chords = [
        (i, j)
        for i in range(n)
        for j in range(i + 2, n)
        if (i, j) not in pairs and not (i == 0 and j == n - 1)
    ]
    vr.shuffle(chords)
    for ch in chords[: vr.randint(1, max(1, n - 2))]:
        if not weighted or not any(_crosses(ch, e) for e in pairs if e[1] - e[0] not in (1, n - 1)):
            pairs.add(ch)
    if not weighted and vr.random() < 0.4:  # unweighted: sometimes drop a cycle edge (keeps it sparse)
        e = vr.choice(sorted(pairs))
        pairs.discard(e)
    edges = sorted((order[i], order[j]) if order[i] < order[j] else (order[j], order[i]) for i, j in pairs)
    weights = {e: vr.randint(1, 9) for e in edges} if weighted else {}
    pos = circle_layout(order, (192, 192), 135, vr.uniform(0, 360))
    pos = {k: (x + vr.uniform(-12, 12), y + vr.uniform(-12, 12)) for k, (x, y) in pos.items()}
    sc = Scene(384, 384)
    sc.add(
        Graph(
            pos,
            [(u, v, weights[(u, v)]) if weighted else (u, v) for u, v in edges],
            fill=vr.choice([None, None, "shade"]),
        )
    )
    return names, edges, sc, weights


def degrees(names: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    return {v: sum(v in e for e in edges) for v in names}


def _edge_list(edges: list[tuple[str, str]]) -> str:
    return ", ".join(f"{u}-{v}" for u, v in edges)


GRAPH_PARTS_D = "The figure shows an undirected graph with nodes labelled by letters."


@register_family("graph_degree", difficulty="one-op", **KW)
def graph_degree(rng: random.Random, variant_rng: random.Random | None = None):
    """The degree of a named node (the number of edges at it)."""
    vr = variant_rng or rng
    form = rng.randrange(2)
    names, edges, sc, _ = make_graph(vr, False)
    deg = degrees(names, edges)
    v = vr.choice(names)
    at = [e for e in edges if v in e]
    q = [f"What is the degree of node {v}?", f"How many edges meet at node {v}?"][form]
    steps = [
        f"The edges at {v} are {_edge_list(at)}." if at else f"No edge meets {v}.",
        f"So the degree of {v} is {deg[v]}.",
    ]
    return build(
        family="graph_degree",
        scene=sc,
        answer=str(deg[v]),
        answer_type="integer",
        parts=QuestionParts(GRAPH_PARTS_D, "", "", q),
        steps=steps,
        difficulty="one-op",
        subject=SUBJECT,
        template=f"graph_degree:{form}",
        level="high school",
        **GRAPH_META,
    )


@register_family("graph_edge_count", difficulty="read", **KW)
def graph_edge_count(rng: random.Random, variant_rng: random.Random | None = None):
    """The number of edges, or the number of nodes of a given degree."""
    vr = variant_rng or rng
    ask = rng.choice(["edges", "edges", "degree_k"])
    mc = rng.random() < 0.2
    names, edges, sc, _ = make_graph(vr, False)
    deg = degrees(names, edges)
    steps = [f"The edges are {_edge_list(edges)}."]
    if ask == "edges":
        q = pick(rng, "How many edges does the graph have?", "How many edges are drawn in the graph?")
        val, level = len(edges), "read"
        steps.append(f"Counting them gives {val} edges.")
    else:
        k = vr.choice(sorted(set(deg.values())))
        q = f"How many nodes have degree {k}?"
        hits = [v for v in names if deg[v] == k]
        val, level = len(hits), "one-op"
        steps += [
            "The degrees are " + ", ".join(f"{v}: {deg[v]}" for v in names) + ".",
            f"The nodes of degree {k} are {words(hits)}, so {val} nodes.",
        ]
    answer, atype, choices = str(val), "integer", None
    if mc:
        choices, answer = choices_for(vr, answer, near_ints(vr, val, lo=0))
        atype = "multiple_choice"
    return build(
        family="graph_edge_count",
        scene=sc,
        answer=answer,
        answer_type=atype,
        choices=choices,
        parts=QuestionParts(GRAPH_PARTS_D, "", "", q),
        steps=steps,
        difficulty=level,
        subject=SUBJECT,
        template=f"graph_edge_count:{ask}:{mc}",
        level="high school",
        **GRAPH_META,
    )


@register_family("graph_max_degree", difficulty="one-op", **KW)
def graph_max_degree(rng: random.Random, variant_rng: random.Random | None = None):
    """The node of largest degree (unique), or the largest degree itself."""
    vr = variant_rng or rng
    ask = rng.choice(["node", "node", "value"])
    mc = ask == "node" and rng.random() < 0.4
    for _ in range(200):
        names, edges, sc, _ = make_graph(vr, False)
        deg = degrees(names, edges)
        top = sorted(deg.values())
        if top[-1] != top[-2]:
            break
    v = max(names, key=lambda x: deg[x])
    steps = [
        "The degrees are " + ", ".join(f"{x}: {deg[x]}" for x in names) + ".",
        extreme_step("degree", names, [deg[x] for x in names]),
    ]
    choices, alternatives = None, [x for x in sorted(names, key=lambda x: -deg[x]) if x != v]
    if ask == "node":
        q = pick(
            rng, "Which node has the highest degree?", "Which node is connected to the most other nodes?"
        )
        answer, atype = v, "text"
        if mc:
            choices, answer = choices_for(vr, v, alternatives[:3])
            atype = "multiple_choice"
    else:
        q = "What is the largest degree of a node in this graph?"
        answer, atype = str(deg[v]), "integer"
    return build(
        family="graph_max_degree",
        scene=sc,
        answer=answer,
        answer_type=atype,
        choices=choices,
        parts=QuestionParts(GRAPH_PARTS_D, "", "", q),
        steps=steps,
        difficulty="one-op",
        subject=SUBJECT,
        template=f"graph_max_degree:{ask}:{mc}",
        level="high school",
        alternatives=alternatives if ask == "node" else (),
        **GRAPH_META,
    )


def simple_paths(edges: dict[tuple[str, str], int], s: str, t: str) -> list[tuple[int, list[str]]]:
    """All simple paths s -> t with their total weights, lightest first."""
    adj: dict[str, list[tuple[str, int]]] = {}
    for (u, v), w in edges.items():
        adj.setdefault(u, []).append((v, w))
        adj.setdefault(v, []).append((u, w))
    out: list[tuple[int, list[str]]] = []
    stack = [(s, [s], 0)]
    while stack:
        node, path, cost = stack.pop()
        if node == t:
            out.append((cost, path))
            continue
        for nxt, w in adj.get(node, []):
            if nxt not in path:
                stack.append((nxt, [*path, nxt], cost + w))
    return sorted(out, key=lambda p: (p[0], p[1]))


def dijkstra(edges: dict[tuple[str, str], int], s: str) -> dict[str, int]:
    """Shortest distances from ``s`` (an independent check of :func:`simple_paths`)."""
    adj: dict[str, list[tuple[str, int]]] = {}
    for (u, v), w in edges.items():
        adj.setdefault(u, []).append((v, w))
        adj.setdefault(v, []).append((u, w))
    dist, heap = {s: 0}, [(0, s)]
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist.get(u, 1 << 30):
            continue
        for v, w in adj.get(u, []):
            if d + w < dist.get(v, 1 << 30):
                dist[v] = d + w
                heapq.heappush(heap, (d + w, v))
    return dist


@register_family("graph_shortest_path", difficulty="multi-step", **KW)
def graph_shortest_path(rng: random.Random, variant_rng: random.Random | None = None):
    """Weight of the shortest path between two non-adjacent nodes of a weighted graph."""
    vr = variant_rng or rng
    mc = rng.random() < 0.25
    for _ in range(200):
        names, _, sc, weights = make_graph(vr, True)
        far = [(a, b) for a in names for b in names if a < b and (a, b) not in weights]
        if not far:
            continue
        s, t = vr.choice(far)
        paths = simple_paths(weights, s, t)
        if len(paths) >= 2 and paths[0][0] != paths[1][0]:
            break
    best = paths[0][0]
    steps = ["The edge weights are " + ", ".join(f"{u}-{v} = {w}" for (u, v), w in weights.items()) + "."]
    for _, path in paths[:3]:
        ws = [weights[(min(u, v), max(u, v))] for u, v in itertools.pairwise(path)]
        steps.append(f"Path {'-'.join(path)}: {calc('+'.join(map(str, ws)))[0]}.")
    steps.append(f"The shortest path is {'-'.join(paths[0][1])} with total weight {best}.")
    q = pick(
        rng,
        f"What is the total weight of the shortest path from {s} to {t}?",
        f"What is the length of the shortest path between node {s} and node {t}?",
    )
    answer, atype, choices = str(best), "integer", None
    if mc:
        choices, answer = choices_for(vr, answer, near_ints(vr, best, extra=[p[0] for p in paths[1:3]], lo=1))
        atype = "multiple_choice"
    return build(
        family="graph_shortest_path",
        scene=sc,
        answer=answer,
        answer_type=atype,
        choices=choices,
        parts=QuestionParts(
            "The figure shows a weighted undirected graph; the number beside each edge is its weight.",
            "",
            "",
            q,
        ),
        steps=steps,
        difficulty="multi-step",
        subject=SUBJECT,
        template=f"graph_shortest_path:{mc}",
        level="undergraduate",
        **GRAPH_META,
    )
