"""PRM-guided best-of-N for evaluation: the ``svemath eval run ... --bon N --prm DIR`` predictor and the
best-of-N sweep (``svemath prm bon-sweep``).

Sweep protocol (reference/prm.md §6.7): ONE pool of ``n_max`` sampled solutions per question
(``bon_pool.jsonl``: every candidate judged once with the benchmark's robust scorer), scored once by the
PRM (``prm_scores.jsonl``: P(+) per step), then for each N in 1, 2, 4, ... every method picks from the
same random subsets of the pool:

* ``prm-mean`` / ``prm-min`` / ``prm-prod`` / ``prm-last``: the highest aggregated PRM score;
* ``prm-vote``: PRM-weighted majority vote over extracted answers (weights: mean step score);
* ``majority``: self-consistency, the most frequent extracted answer (ties: a random one);
* ``random``: the expected accuracy of a random pick, c/n_max exactly (= pass@1);
* ``oracle``: pass@N, exactly ``1 - C(n_max - c, N) / C(n_max, N)``.

Selection methods average over ``trials`` seeded random subsets per question (all of the pool at
N = n_max). Accuracies carry 95% percentile-bootstrap CIs over question groups
(:func:`svemath.eval.metrics.bootstrap_ci`); the headline gaps (PRM - majority, PRM - random at each N)
are paired differences with their own CIs. ``ranking`` says why a PRM helps or not, with no sampling noise
from subsets: per aggregation, the within-question ranking AUROC (the chance that a correct candidate
scores above a wrong one of the same question, ties half; 0.5 = chance) averaged over the questions whose
pool holds both, with a bootstrap CI over groups. Outputs: ``bon_sweep.json``, ``bon_sweep.md``,
``bon_sweep.png`` (accuracy vs N).
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from svemath.errors import ConfigError, DataFormatError

DEFAULT_TEMPERATURE = 0.7  # best-of-N sampling when the run's settings are greedy
PRM_METHODS = ("prm-mean", "prm-min", "prm-prod", "prm-last", "prm-vote")
METHODS = (*PRM_METHODS, "majority", "random", "oracle")


def item_seed(seed: int, item_id: str) -> int:
    """A per-item sampling seed independent of batching."""
    return (seed * 1_000_003 + zlib.crc32(str(item_id).encode())) % (2**31)


# === eval run --bon N --prm DIR ===


class BestOfNPredictor:
    """Samples ``n`` solutions per request from the policy and returns the PRM's pick (``agg``)."""

    def __init__(self, policy_dir: Path, prm_dir: Path, n: int, settings: Any, *, agg: str = "mean",
                 device: str = "auto") -> None:  # fmt: skip
        import torch

        from svemath.mllm.presets import load_pretrained

        if n < 1:
            raise ConfigError(f"--bon must be >= 1, got {n}")
        self.n, self.settings, self.agg = n, settings, agg
        device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        self.policy = load_pretrained(policy_dir, device=device)
        self.prm = load_pretrained(prm_dir, device=device)
        self.temperature = settings.temperature if settings.do_sample else DEFAULT_TEMPERATURE

    def predict(self, batch: list[Any]) -> list[str]:
        from svemath.mllm.prm import best_of_n

        s = self.settings
        out = []
        for r in batch:
            res = best_of_n(
                r.image, r.prompt, self.n, policy=self.policy, prm=self.prm, agg=self.agg,
                max_new_tokens=s.max_new_tokens, temperature=self.temperature, top_p=s.top_p,
                seed=item_seed(r.seed, r.id), batch_size=max(self.n, s.batch_size),
            )  # fmt: skip
            out.append(res.response)
        return out


def build_predictor(policy_dir: Path, prm_dir: Path, n: int, settings: Any) -> BestOfNPredictor:
    """The ``--bon N --prm DIR`` predictor of :func:`svemath.eval.predictor.build_predictor`."""
    for what, path in (("--model", policy_dir), ("--prm", prm_dir)):
        if not (Path(path) / "config.json").is_file():
            raise ConfigError(f"{what} {path}: not a model directory (no config.json)")
    return BestOfNPredictor(Path(policy_dir), Path(prm_dir), n, settings)


# === the sweep ===


@dataclass
class SweepConfig:
    n_max: int = 16
    ns: tuple[int, ...] = (1, 2, 4, 8, 16)
    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = 1.0
    max_new_tokens: int = 256
    seed: int = 0
    trials: int = 64
    n_boot: int = 1000
    batch_size: int = 32
    style: str = "plain"
    choice_tool: bool = False  # the policy's generation-time choice tool (svemath.mllm.calculator)

    def validate(self) -> SweepConfig:
        self.ns = tuple(n for n in self.ns if n <= self.n_max)
        if self.n_max < 1 or not self.ns or self.trials < 1:
            raise ConfigError("need n_max >= 1, at least one N <= n_max and trials >= 1")
        if self.temperature <= 0:
            raise ConfigError("best-of-N needs sampling: temperature > 0")
        return self


def _read_jsonl(path: Path) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return rows
    lines = path.read_text(encoding="utf-8").split("\n")
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            if n == len(lines):  # cut off mid-write: redone
                break
            raise DataFormatError(f"{path}:{n}: invalid JSON line") from None
        rows[str(obj["question_id"])] = obj
    return rows


def _rewrite(path: Path, rows: dict[str, dict[str, Any]]) -> None:
    from svemath.fileio import atomic_write_text

    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows.values()))


def vote_key(extracted: str | None, example: Any) -> str | None:
    """Canonical answer for voting: the option letter for multiple choice, a rounded number, or text."""
    from svemath.eval.extract import choice_letter, normalize_text, parse_number

    if extracted is None or not str(extracted).strip():
        return None
    if example.choices or (example.question_type or "").startswith("multi"):
        letter = choice_letter(extracted, len(example.choices) or 5, example.choices or None)
        if letter is not None:
            return letter
    value = parse_number(extracted)
    return f"{round(value, 3):g}" if value is not None else normalize_text(extracted)


def build_pool(policy_dir: Path, bench: Any, examples: Sequence[Any], out: Path, cfg: SweepConfig,
               *, progress: bool = True) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Sample and judge ``n_max`` candidates per example into ``out/bon_pool.jsonl`` (resumable)."""
    from tqdm.auto import tqdm

    from svemath.images import load_image
    from svemath.mllm.presets import load_pretrained
    from svemath.mllm.prm import continue_from_prefixes
    from svemath.mllm.steps import split_steps

    path = out / "bon_pool.jsonl"
    pool = _read_jsonl(path)
    # a pool sampled with other settings (its size, the choice tool) is sampled again
    pool = {k: v for k, v in pool.items()
            if len(v["candidates"]) == cfg.n_max and bool(v.get("choice_tool")) == cfg.choice_tool}  # fmt: skip
    _rewrite(path, pool)
    todo = [ex for ex in examples if ex.id not in pool]
    if not todo:
        return pool
    model, processor = load_pretrained(policy_dir)
    with open(path, "a", encoding="utf-8") as fh:
        for ex in tqdm(todo, desc="bon pool", unit="question", disable=not progress):
            image = load_image(ex.image_path) if ex.image_path is not None else None
            prompt = bench.build_prompt(ex, cfg.style)
            seed = item_seed(cfg.seed, ex.id)
            texts = continue_from_prefixes(
                model, processor, image, prompt, [""], n=cfg.n_max, max_new_tokens=cfg.max_new_tokens,
                temperature=cfg.temperature, top_p=cfg.top_p, seed=seed, batch_size=cfg.batch_size,
                choice_tool=cfg.choice_tool,
            )[0]  # fmt: skip
            cands = []
            for text in texts:
                verdict = bench.judge(text, ex, style=cfg.style)["robust"]
                cands.append({"response": text, "pred": verdict["extracted"], "correct": bool(verdict["correct"]),
                              "vote": vote_key(verdict["extracted"], ex), "steps": split_steps(text)})  # fmt: skip
            row = {"question_id": ex.id, "group_id": ex.group_id, "images": [str(ex.image_path)] if ex.image_path else [],
                   "prompt": prompt, "answer": ex.answer, "source": bench.name, "seed": seed, "choice_tool": cfg.choice_tool,
                   "candidates": cands}  # fmt: skip
            pool[ex.id] = row
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
            fh.flush()
    return pool


def score_pool(prm_dir: Path, pool: dict[str, dict[str, Any]], out: Path, *, batch_size: int = 16,
               progress: bool = True) -> dict[str, dict[str, Any]]:  # fmt: skip
    """P(+) per step of every candidate into ``out/prm_scores.jsonl`` (resumable; the PRM sees the prompt
    and the steps, never the answer)."""
    from tqdm.auto import tqdm

    from svemath.images import load_image
    from svemath.mllm.presets import load_pretrained
    from svemath.mllm.prm import score_steps_batch

    path = out / "prm_scores.jsonl"
    scores = {k: v for k, v in _read_jsonl(path).items() if k in pool and v.get("prm") == str(prm_dir)}
    _rewrite(path, scores)
    todo = [q for q in pool if q not in scores]
    if not todo:
        return scores
    model, processor = load_pretrained(prm_dir)
    with open(path, "a", encoding="utf-8") as fh:
        for qid in tqdm(todo, desc="prm scores", unit="question", disable=not progress):
            row = pool[qid]
            image = load_image(row["images"][0]) if row["images"] else None
            items = [(image, row["prompt"], c["steps"]) for c in row["candidates"]]
            t0 = time.perf_counter()
            step_scores = score_steps_batch(model, processor, items, batch_size=batch_size)
            rec = {"question_id": qid, "prm": str(prm_dir), "step_scores": step_scores,
                   "seconds": round(time.perf_counter() - t0, 4)}  # fmt: skip
            scores[qid] = rec
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
    return scores


def pick(method: str, step_scores: Sequence[Sequence[float]], votes: Sequence[str | None],
         responses: Sequence[str]) -> int:  # fmt: skip
    """The index one selection method picks from a subset of candidates (``svemath.mllm.prm.choose``)."""
    from svemath.mllm.prm import choose, majority_vote

    if method == "majority":
        return majority_vote(votes)
    if method not in PRM_METHODS:
        raise ConfigError(f"unknown best-of-N method {method!r}")
    return choose(step_scores, method.removeprefix("prm-"), votes, responses)


def question_accuracy(row: dict[str, Any], step_scores: list[list[float]], n: int, cfg: SweepConfig,
                      rng: np.random.Generator) -> dict[str, float]:  # fmt: skip
    """Expected accuracy of every method at N = ``n`` on one question's pool. Selections are those of
    :func:`pick`, with each candidate's aggregates computed once."""
    from svemath.mllm.prm import AGGREGATIONS, aggregate, majority_vote, weighted_vote

    cands = row["candidates"]
    m = len(cands)
    correct = np.array([c["correct"] for c in cands], dtype=bool)
    c = int(correct.sum())
    out = {"random": c / m, "oracle": 1.0 - (math.comb(m - c, n) / math.comb(m, n))}
    aggs = {a: [aggregate(s, a) for s in step_scores] for a in AGGREGATIONS}
    lengths = [len(x["response"]) for x in cands]
    votes_all = [x["vote"] for x in cands]
    sums = dict.fromkeys((*PRM_METHODS, "majority"), 0.0)
    for _ in range(cfg.trials):  # also at N = m: the order breaks majority ties at random
        idx = rng.permutation(m)[:n]
        votes = [votes_all[i] for i in idx]
        for agg in AGGREGATIONS:  # = mllm.prm.select_best: score, then mean, then shorter, then earlier
            j = max(range(n), key=lambda k: (aggs[agg][idx[k]], aggs["mean"][idx[k]], -lengths[idx[k]], -k))
            sums[f"prm-{agg}"] += float(correct[idx[j]])
        sums["prm-vote"] += float(correct[idx[weighted_vote(votes, [aggs["mean"][i] for i in idx])]])
        sums["majority"] += float(correct[idx[majority_vote(votes)]])
    out.update({k: v / cfg.trials for k, v in sums.items()})
    return out


def group_mean_ci(values: np.ndarray, present: np.ndarray, groups: dict[str, list[int]],
                  cfg: SweepConfig) -> tuple[float | None, list[float] | None]:  # fmt: skip
    """Mean of ``values`` [Q] over the questions marked ``present`` [Q] and its 95% bootstrap CI, resampling
    the groups that hold any of them; (None, None) when none is present."""
    from svemath.eval.metrics import bootstrap_ci

    keys = [g for g, ks in groups.items() if present[ks].any()]
    if not keys:
        return None, None
    sums = np.array([values[groups[g]][present[groups[g]]].sum() for g in keys])
    counts = np.array([present[groups[g]].sum() for g in keys], dtype=float)

    def stat(idx: np.ndarray) -> float:
        return float(sums[idx].sum() / counts[idx].sum())

    return stat(np.arange(len(keys))), bootstrap_ci(stat, len(keys), n_boot=cfg.n_boot, seed=cfg.seed)


def within_question_ranking(pool: dict[str, dict[str, Any]], scores: dict[str, dict[str, Any]], qids: list[str],
                            groups: dict[str, list[int]], cfg: SweepConfig) -> dict[str, Any]:  # fmt: skip
    """Per aggregation: the mean within-question ranking AUROC (:func:`svemath.mllm.prm.auroc` over one
    question's candidates) over mixed questions (some candidates right, some wrong), 95% CI over groups."""
    from svemath.mllm.prm import AGGREGATIONS, aggregate, auroc

    out: dict[str, Any] = {}
    for agg in AGGREGATIONS:
        values = [auroc([c["correct"] for c in pool[q]["candidates"]],
                        [aggregate(s, agg) for s in scores[q]["step_scores"]]) for q in qids]  # fmt: skip
        present = np.array([v is not None for v in values], dtype=bool)
        mean, ci = group_mean_ci(np.array([v or 0.0 for v in values]), present, groups, cfg)
        out[f"prm-{agg}"] = {"auroc": mean, "n_questions": int(present.sum()), "ci": ci}
    return out


def sweep(
    pool: dict[str, dict[str, Any]], scores: dict[str, dict[str, Any]], cfg: SweepConfig
) -> dict[str, Any]:
    """Accuracy of every method at every N with 95% CIs over groups, and the paired headline gaps."""
    qids = [q for q in pool if q in scores]
    if not qids:
        raise DataFormatError("no question has both a candidate pool and PRM scores")
    groups: dict[str, list[int]] = {}
    for k, q in enumerate(qids):
        groups.setdefault(str(pool[q].get("group_id") or q), []).append(k)
    everyone = np.ones(len(qids), dtype=bool)
    table: dict[str, dict[str, Any]] = {}
    per_q: dict[int, dict[str, np.ndarray]] = {}
    for n in cfg.ns:
        rng = np.random.default_rng([cfg.seed, n])
        accs = [question_accuracy(pool[q], scores[q]["step_scores"], n, cfg, rng) for q in qids]
        per_q[n] = {m: np.array([a[m] for a in accs]) for m in METHODS}
    for method in METHODS:
        table[method] = {}
        for n in cfg.ns:
            acc, ci = group_mean_ci(per_q[n][method], everyone, groups, cfg)
            table[method][str(n)] = {"accuracy": acc, "ci": ci}
    gaps: dict[str, Any] = {}
    for n in cfg.ns:
        for base in ("majority", "random"):
            for method in PRM_METHODS:
                gap, ci = group_mean_ci(per_q[n][method] - per_q[n][base], everyone, groups, cfg)
                gaps.setdefault(f"{method} - {base}", {})[str(n)] = {"gap": gap, "ci": ci}
    ranking = within_question_ranking(pool, scores, qids, groups, cfg)
    return {"n_questions": len(qids), "n_groups": len(groups), "ns": list(cfg.ns), "table": table, "gaps": gaps,
            "ranking": ranking}  # fmt: skip


def write_sweep_report(result: dict[str, Any], out: Path, title: str) -> None:
    """``bon_sweep.md`` (tables) and ``bon_sweep.png`` (accuracy vs N with 95% CIs)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from svemath.fileio import atomic_write_text

    ns = result["ns"]

    def fmt(d: dict[str, Any]) -> str:
        ci = f" [{100 * d['ci'][0]:.1f}, {100 * d['ci'][1]:.1f}]" if d["ci"] else ""
        return f"{100 * d['accuracy']:.1f}{ci}"

    lines = [f"# Best-of-N sweep: {title}", "", f"{result['n_questions']} questions, {result['n_groups']} groups; "
             "accuracy % with 95% bootstrap CI over groups (robust scoring).", "",
             "| method | " + " | ".join(f"N={n}" for n in ns) + " |", "|---" * (len(ns) + 1) + "|"]  # fmt: skip
    for method, row in result["table"].items():
        lines.append(f"| {method} | " + " | ".join(fmt(row[str(n)]) for n in ns) + " |")
    lines += ["", "Paired gaps (points, 95% CI):", "", "| gap | " + " | ".join(f"N={n}" for n in ns) + " |",
              "|---" * (len(ns) + 1) + "|"]  # fmt: skip
    for name, row in result["gaps"].items():
        cells = [f"{100 * row[str(n)]['gap']:+.1f}" + (f" [{100 * row[str(n)]['ci'][0]:+.1f}, {100 * row[str(n)]['ci'][1]:+.1f}]"
                 if row[str(n)]["ci"] else "") for n in ns]  # fmt: skip
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if result.get("ranking"):
        lines += ["", "Within-question ranking AUROC (a correct candidate scored above a wrong one of the same "
                  "question; 0.5 = chance), over the questions whose pool holds both:", "",
                  "| aggregation | AUROC [95% CI] | questions |", "|---|---|---|"]  # fmt: skip
        for name, r in result["ranking"].items():
            ci = f" [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}]" if r["ci"] else ""
            auroc = "n/a" if r["auroc"] is None else f"{r['auroc']:.3f}{ci}"
            lines.append(f"| {name} | {auroc} | {r['n_questions']} |")
    atomic_write_text(out / "bon_sweep.md", "\n".join(lines) + "\n")
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, row in result["table"].items():
        acc = [100 * row[str(n)]["accuracy"] for n in ns]
        lo = [100 * (row[str(n)]["accuracy"] - row[str(n)]["ci"][0]) if row[str(n)]["ci"] else 0 for n in ns]
        hi = [100 * (row[str(n)]["ci"][1] - row[str(n)]["accuracy"]) if row[str(n)]["ci"] else 0 for n in ns]
        style = "--" if method in ("random", "oracle") else "-"
        ax.errorbar(ns, acc, yerr=[lo, hi], label=method, linestyle=style, marker="o", capsize=2, linewidth=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(ns, [str(n) for n in ns])
    ax.set_xlabel("N (candidates)")
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"Best-of-N: {title}")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "bon_sweep.png", dpi=120)
    plt.close(fig)


def run_sweep(policy_dir: Path, prm_dir: Path, bench_name: str, data: Path, out: Path, cfg: SweepConfig, *,
              limit: int | None = None, progress: bool = True) -> dict[str, Any]:  # fmt: skip
    """Pool -> PRM scores -> sweep -> ``bon_sweep.{json,md,png}`` in ``out``; returns the result."""
    from svemath.eval.base import get_benchmark
    from svemath.fileio import write_json

    cfg.validate()
    bench = get_benchmark(bench_name)
    examples = bench.load(data)
    examples = examples[:limit] if limit else examples
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    pool = build_pool(policy_dir, bench, examples, out, cfg, progress=progress)
    pool = {ex.id: pool[ex.id] for ex in examples}
    t1 = time.perf_counter()
    scores = score_pool(prm_dir, pool, out, progress=progress)
    t2 = time.perf_counter()
    result = sweep(pool, scores, cfg)
    result.update(config=asdict(cfg), benchmark=bench_name, data=str(data), policy=str(policy_dir), prm=str(prm_dir),
                  seconds={"pool": round(t1 - t0, 2), "prm_scores": round(t2 - t1, 2)})  # fmt: skip
    write_json(out / "bon_sweep.json", result)
    write_sweep_report(result, out, f"{bench_name} ({result['n_questions']} questions)")
    return result
