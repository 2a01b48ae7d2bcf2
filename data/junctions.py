"""Junctions of drawn lines, computed geometrically from the strokes in image coordinates.

A junction is a place where drawn lines end or meet: a free end (1 branch), a corner (L, 2 branches),
a T or Y (3), an X (4) or more. Candidates are every open stroke's ends, every corner vertex and every
crossing of two strokes' pieces (exact segment-segment intersection); candidates closer than
``merge_px`` are merged (coincident endpoints of several segments become one junction). Each junction
lists the directions of its branches leaving it, in degrees [0, 360) counter-clockwise from +x with y
down (so screen-up is 90); directions closer than ``angle_tol`` are merged. A point where exactly two
opposite branches meet (a line simply passing through, or two collinear segments joined) is not a
junction. On sampled curves the branch direction is the direction of the adjacent sample piece
(pieces are about 3 px long, so it is within a degree or two of the tangent).

Strokes with ``junctions=False`` (angle arcs, right-angle marks, tick marks on segments, hatching)
are ignored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from svemath.data.drawlist import Pt, Stroke


@dataclass
class Junction:
    xy: Pt
    angles: list[float]


class _Poly:
    """One stroke: vertices without repeats (``pl``), pieces i -> i+1 (and m-1 -> 0 if closed), the
    corner flags, and numpy arrays of the pieces for long (sampled) strokes."""

    def __init__(self, stroke: Stroke) -> None:
        pl: list[Pt] = []
        for p in stroke.points:
            if not pl or abs(p[0] - pl[-1][0]) + abs(p[1] - pl[-1][1]) > 1e-9:
                pl.append((float(p[0]), float(p[1])))
        closed = stroke.closed and len(pl) > 2
        if closed and abs(pl[0][0] - pl[-1][0]) + abs(pl[0][1] - pl[-1][1]) <= 1e-9:
            pl.pop()
        self.pl = pl
        self.closed = closed
        self.m = len(pl)
        self.junctions = stroke.junctions
        xs, ys = [p[0] for p in pl], [p[1] for p in pl]
        self.bbox = (min(xs), min(ys), max(xs), max(ys)) if pl else (0.0, 0.0, 0.0, 0.0)
        self.n_pieces = self.m if closed else self.m - 1
        corners = set(range(self.m)) if not stroke.smooth else {i for i in stroke.corners if 0 <= i < self.m}
        if not closed:
            corners -= {0, self.m - 1}  # ends are handled as ends
        self.corners = sorted(corners)
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None

    def piece(self, k: int) -> tuple[Pt, Pt]:
        return self.pl[k], self.pl[(k + 1) % self.m]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        if self._arrays is None:
            pts = np.asarray(self.pl, dtype=np.float64)
            p1 = np.concatenate([pts[1:], pts[:1]]) if self.closed else pts[1:]
            self._arrays = (pts[: self.n_pieces], p1)
        return self._arrays

    def dirs_at_vertex(self, v: int) -> list[float]:
        out = []
        if self.closed or v > 0:
            out.append(_deg(self.pl[v], self.pl[(v - 1) % self.m]))
        if self.closed or v < self.m - 1:
            out.append(_deg(self.pl[v], self.pl[(v + 1) % self.m]))
        return out

    def dirs_on_piece(self, k: int, t: float) -> list[float]:
        """Branches at parameter ``t`` of piece ``k`` (snapping to a vertex within half a pixel)."""
        p, q = self.piece(k)
        length = math.hypot(q[0] - p[0], q[1] - p[1])
        if t * length < 0.5:
            return self.dirs_at_vertex(k)
        if (1 - t) * length < 0.5:
            return self.dirs_at_vertex((k + 1) % self.m)
        d = _deg(p, q)
        return [d, (d + 180.0) % 360.0]


def _deg(p: Pt, q: Pt) -> float:
    return math.degrees(math.atan2(p[1] - q[1], q[0] - p[0])) % 360.0


def _overlap(a: tuple, b: tuple, tol: float) -> bool:
    return a[0] <= b[2] + tol and b[0] <= a[2] + tol and a[1] <= b[3] + tol and b[1] <= a[3] + tol


def _seg_cross(p: Pt, p2: Pt, q: Pt, q2: Pt) -> tuple[float, float] | None:
    """Parameters (t, u) where segments p-p2 and q-q2 cross (endpoints included), or None."""
    rx, ry = p2[0] - p[0], p2[1] - p[1]
    sx, sy = q2[0] - q[0], q2[1] - q[1]
    denom = rx * sy - ry * sx
    lr, ls = math.hypot(rx, ry), math.hypot(sx, sy)
    if abs(denom) <= 1e-9 * lr * ls:
        return None
    qpx, qpy = q[0] - p[0], q[1] - p[1]
    t = (qpx * sy - qpy * sx) / denom
    u = (qpx * ry - qpy * rx) / denom
    et, eu = 1e-3 / max(lr, 1e-9), 1e-3 / max(ls, 1e-9)
    if -et <= t <= 1 + et and -eu <= u <= 1 + eu:
        return min(max(t, 0.0), 1.0), min(max(u, 0.0), 1.0)
    return None


def _intersections(a: _Poly, b: _Poly, tol: float) -> list[tuple[Pt, int, float, int, float]]:
    """Crossings of a's and b's pieces: (point, piece of a, t on it, piece of b, u on it)."""
    if a.n_pieces * b.n_pieces <= 64:  # small strokes: plain Python is faster than numpy here
        out = []
        for i in range(a.n_pieces):
            p, p2 = a.piece(i)
            for j in range(b.n_pieces):
                q, q2 = b.piece(j)
                if max(p[0], p2[0]) + tol < min(q[0], q2[0]) or max(q[0], q2[0]) + tol < min(p[0], p2[0]):
                    continue
                if max(p[1], p2[1]) + tol < min(q[1], q2[1]) or max(q[1], q2[1]) + tol < min(p[1], p2[1]):
                    continue
                tu = _seg_cross(p, p2, q, q2)
                if tu is not None:
                    t = tu[0]
                    out.append(((p[0] + t * (p2[0] - p[0]), p[1] + t * (p2[1] - p[1])), i, t, j, tu[1]))
        return out

    def prune(poly: _Poly, box: tuple) -> np.ndarray:
        p0, p1 = poly.arrays()
        lo, hi = np.minimum(p0, p1), np.maximum(p0, p1)
        keep = (
            (lo[:, 0] <= box[2] + tol)
            & (hi[:, 0] >= box[0] - tol)
            & (lo[:, 1] <= box[3] + tol)
            & (hi[:, 1] >= box[1] - tol)
        )
        return np.nonzero(keep)[0]

    ia, ib = prune(a, b.bbox), prune(b, a.bbox)
    if len(ia) == 0 or len(ib) == 0:
        return []
    a0, a1 = a.arrays()
    b0, b1 = b.arrays()
    p, r = a0[ia][:, None, :], (a1[ia] - a0[ia])[:, None, :]
    q, s = b0[ib][None, :, :], (b1[ib] - b0[ib])[None, :, :]
    qp = q - p
    denom = r[..., 0] * s[..., 1] - r[..., 1] * s[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (qp[..., 0] * s[..., 1] - qp[..., 1] * s[..., 0]) / denom
        u = (qp[..., 0] * r[..., 1] - qp[..., 1] * r[..., 0]) / denom
    len_r = np.hypot(r[..., 0], r[..., 1])
    len_s = np.hypot(s[..., 0], s[..., 1])
    eps_t, eps_u = 1e-3 / np.maximum(len_r, 1e-9), 1e-3 / np.maximum(len_s, 1e-9)
    ok = (
        (np.abs(denom) > 1e-9 * len_r * len_s)
        & (t >= -eps_t) & (t <= 1 + eps_t) & (u >= -eps_u) & (u <= 1 + eps_u)
    )  # fmt: skip
    out = []
    for i, j in zip(*np.nonzero(ok), strict=True):
        ti = float(min(max(t[i, j], 0.0), 1.0))
        uj = float(min(max(u[i, j], 0.0), 1.0))
        x = float(p[i, 0, 0] + ti * r[i, 0, 0])
        y = float(p[i, 0, 1] + ti * r[i, 0, 1])
        out.append(((x, y), int(ia[i]), ti, int(ib[j]), uj))
    return out


def _merge_angles(angles: list[float], tol: float) -> list[float]:
    out: list[float] = []
    for a in sorted(angles):
        if out and a - out[-1] < tol:
            continue
        out.append(a)
    if len(out) > 1 and out[0] + 360.0 - out[-1] < tol:
        out.pop()
    return out


class StrokeSet:
    """The strokes of one image prepared once for junctions and for point-label directions."""

    def __init__(self, strokes: list[Stroke]) -> None:
        self._strokes = strokes
        self._polys: list[_Poly] | None = None

    @property
    def polys(self) -> list[_Poly]:
        """The prepared strokes (built on first use: a render without point labels or junction
        annotations never needs them)."""
        if self._polys is None:
            self._polys = [p for p in (_Poly(s) for s in self._strokes if len(s.points) >= 2) if p.m >= 2]
        return self._polys

    def junctions(
        self, width: float, height: float, merge_px: float = 1.5, angle_tol: float = 4.0
    ) -> list[Junction]:
        return _junctions([p for p in self.polys if p.junctions], width, height, merge_px, angle_tol)

    def branches_at(self, xy: Pt, tol: float = 1.5) -> list[float]:
        """Directions of all strokes passing through or ending at ``xy`` (for placing point labels)."""
        x, y = xy
        angles: list[float] = []
        for poly in self.polys:
            b = poly.bbox
            if x < b[0] - tol or x > b[2] + tol or y < b[1] - tol or y > b[3] + tol:
                continue
            if poly.n_pieces > 12:  # long sampled curves: nearest piece with numpy
                p0, p1 = poly.arrays()
                d = p1 - p0
                ll = np.maximum((d * d).sum(axis=1), 1e-12)
                t = np.clip(((x - p0[:, 0]) * d[:, 0] + (y - p0[:, 1]) * d[:, 1]) / ll, 0.0, 1.0)
                dist = np.hypot(p0[:, 0] + t * d[:, 0] - x, p0[:, 1] + t * d[:, 1] - y)
                k = int(np.argmin(dist))
                if dist[k] <= tol:
                    angles += poly.dirs_on_piece(k, float(t[k]))
                continue
            best, best_k, best_t = tol, -1, 0.0
            for k in range(poly.n_pieces):
                p, q = poly.piece(k)
                dx, dy = q[0] - p[0], q[1] - p[1]
                ll = dx * dx + dy * dy or 1e-12
                t = min(1.0, max(0.0, ((x - p[0]) * dx + (y - p[1]) * dy) / ll))
                d = math.hypot(p[0] + t * dx - x, p[1] + t * dy - y)
                if d <= best:
                    best, best_k, best_t = d, k, t
            if best_k >= 0:
                angles += poly.dirs_on_piece(best_k, best_t)
        return _merge_angles(angles, 4.0)


def compute_junctions(
    strokes: list[Stroke], width: float, height: float, merge_px: float = 1.5, angle_tol: float = 4.0
) -> list[Junction]:
    """All junctions of the strokes with ``junctions=True`` that lie inside the image."""
    return StrokeSet(strokes).junctions(width, height, merge_px, angle_tol)


def branches_at(xy: Pt, strokes: list[Stroke], tol: float = 1.5) -> list[float]:
    """Directions of all strokes passing through or ending at ``xy``."""
    return StrokeSet(strokes).branches_at(xy, tol)


def _junctions(
    polys: list[_Poly], width: float, height: float, merge_px: float, angle_tol: float
) -> list[Junction]:
    # candidates: (xy, poly index, kind, a, b) with kind "v" (vertex a) or "p" (piece a, parameter b)
    cands: list[tuple[Pt, int, str, int, float]] = []
    for pi, p in enumerate(polys):
        if not p.closed:
            cands.append((p.pl[0], pi, "v", 0, 0.0))
            cands.append((p.pl[-1], pi, "v", p.m - 1, 0.0))
        for v in p.corners:
            cands.append((p.pl[v], pi, "v", v, 0.0))
    for i in range(len(polys)):
        for j in range(i + 1, len(polys)):
            if not _overlap(polys[i].bbox, polys[j].bbox, merge_px):
                continue
            for xy, ka, ta, kb, tb in _intersections(polys[i], polys[j], merge_px):
                cands.append((xy, i, "p", ka, ta))
                cands.append((xy, j, "p", kb, tb))
    # cluster candidates (greedy, in a stable order, on a grid of merge_px cells)
    clusters: list[list[tuple[Pt, int, str, int, float]]] = []
    centers: list[Pt] = []
    grid: dict[tuple[int, int], list[int]] = {}
    cell = max(merge_px, 1.0)
    for c in cands:
        x, y = c[0]
        gx, gy = int(x // cell), int(y // cell)
        found = -1
        for key in ((gx + dx, gy + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)):
            for ci in grid.get(key, ()):
                cx, cy = centers[ci]
                if (cx - x) ** 2 + (cy - y) ** 2 <= merge_px**2:
                    found = ci
                    break
            if found >= 0:
                break
        if found < 0:
            grid.setdefault((gx, gy), []).append(len(clusters))
            clusters.append([c])
            centers.append((x, y))
        else:
            clusters[found].append(c)
    out: list[Junction] = []
    for members in clusters:
        seen: set[tuple[int, str, int, float]] = set()
        angles: list[float] = []
        for _, pi, kind, a, b in members:
            key = (pi, kind, a, round(b, 6))
            if key in seen:
                continue
            seen.add(key)
            angles += polys[pi].dirs_at_vertex(a) if kind == "v" else polys[pi].dirs_on_piece(a, b)
        merged = _merge_angles(angles, angle_tol)
        if not merged:
            continue
        if len(merged) == 2 and abs(abs(merged[1] - merged[0]) - 180.0) < angle_tol:
            continue
        x = sum(m[0][0] for m in members) / len(members)
        y = sum(m[0][1] for m in members) / len(members)
        if -0.5 <= x <= width + 0.5 and -0.5 <= y <= height + 0.5:
            out.append(Junction((x, y), [round(a, 2) % 360.0 for a in merged]))
    return out
