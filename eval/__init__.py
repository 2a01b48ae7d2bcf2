"""svemath.eval: benchmarks (real loaders and synthetic suites), prompts, answer extraction, scoring,
metrics, the two-phase runner and reports.

Public API (import from the submodules; nothing heavy is imported here)::

    from svemath.eval.base import get_benchmark, benchmark_names, Example, Extracted
    bench = get_benchmark("dynamath")            # dynamath | mathverse | mathvista | synth-*
    examples = bench.load(data_dir)
    prompt = bench.build_prompt(examples[0], style="official")      # or "plain"
    judged = bench.judge(response, examples[0], style="official")  # {"official": {...}, "robust": {...}}

    from svemath.eval.metrics import dynamath_summary     # avg / worst / best / rr as fractions
    from svemath.eval.runner import generate_predictions  # phase 1 -> predictions.jsonl (resumable)
    from svemath.eval.score import score_to_dir           # phase 2 -> metrics.json, report.md, plots
    from svemath.eval.predictor import ModelPredictor, GenerationSettings, GenerationRequest

Command line: ``svemath eval run|score|list`` (svemath.eval.cli).
"""
