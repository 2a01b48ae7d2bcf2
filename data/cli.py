"""``svemath data {generate,validate,show,check-overlap,list}``: the data engine's command line.

Light at import time (argparse only); each command imports what it needs when it runs. Each prints a
short summary and writes JSON next to its outputs: generate -> ``DIR/manifest.json``, validate ->
``--json FILE`` (optional), show -> ``sheet.json`` beside ``sheet.png``, check-overlap -> ``--out FILE``
(optional). Exit codes: 0 on success; 1 for problems found (validate, check-overlap) and user errors.
"""

from __future__ import annotations

import argparse
import json
import sys


def add_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("data", help="generate, validate, show and compare datasets")
    dsub = parser.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    dsub.required = True

    p = dsub.add_parser("generate", help="generate a dataset folder from a suite")
    p.add_argument("--suite", required=True, help="suite name (see 'svemath data list')")
    p.add_argument("--n", type=int, required=True, help="number of samples")
    p.add_argument("--seed", type=int, required=True, help="dataset seed (train and eval streams differ)")
    p.add_argument("--out", required=True, help="output folder (written atomically)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (output is identical for any)")
    p.add_argument(
        "--image-size", type=int, default=None, help="canvas side in pixels (default: the suite's)"
    )
    p.add_argument("--option", action="append", metavar="KEY=VALUE", help="suite option (repeatable)")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_generate)

    p = dsub.add_parser("validate", help="check a dataset folder or LLaVA JSON/JSONL file")
    p.add_argument("path", help="dataset folder, data.jsonl, or external .json/.jsonl")
    p.add_argument("--image-root", default=None, help="folder image paths are relative to (external files)")
    p.add_argument("--no-decode", action="store_true", help="check image headers only (faster)")
    p.add_argument("--workers", type=int, default=1, help="processes for checking image files")
    p.add_argument("--json", default=None, metavar="FILE", help="also write the report as JSON")
    p.set_defaults(func=cmd_validate)

    p = dsub.add_parser("show", help="contact sheet with annotations and Q/A")
    p.add_argument("path", help="dataset folder or LLaVA JSON/JSONL file")
    p.add_argument("--n", type=int, default=16, help="number of records")
    p.add_argument("--out", required=True, help="sheet PNG (a .json with the same stem is written beside)")
    p.add_argument("--offset", type=int, default=0, help="first record to show")
    p.add_argument("--cols", type=int, default=None, help="columns (default: square-ish grid)")
    p.add_argument("--cell", type=int, default=256, help="cell size in pixels")
    p.add_argument("--lines", type=int, default=6, help="text lines under each image")
    p.add_argument("--image-root", default=None)
    p.set_defaults(func=cmd_show)

    p = dsub.add_parser("check-overlap", help="prove no eval item occurs in a training set")
    p.add_argument("train", help="training dataset (folder or LLaVA file)")
    p.add_argument("eval", help="evaluation dataset (folder or LLaVA file)")
    p.add_argument(
        "--question-policy",
        choices=("item", "text"),
        default="item",
        help="item: equal questions fail only when the items cannot be told apart by images; "
        "text: any equal question fails",
    )
    p.add_argument("--workers", type=int, default=1, help="processes for hashing images")
    p.add_argument("--out", default=None, metavar="FILE", help="write the JSON report here")
    p.add_argument("--train-image-root", default=None)
    p.add_argument("--eval-image-root", default=None)
    p.set_defaults(func=cmd_check_overlap)

    p = dsub.add_parser("list", help="list the registered suites")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)


def cmd_generate(args: argparse.Namespace) -> int:
    from svemath.configs import parse_overrides
    from svemath.data.generate import generate_dataset

    options = parse_overrides(args.option)
    m = generate_dataset(
        args.suite,
        args.n,
        args.seed,
        args.out,
        workers=args.workers,
        image_size=args.image_size,
        options=options,
        overwrite=args.overwrite,
        progress=not args.quiet,
    )
    sizes = ", ".join(m["counts"]["image_sizes"]) or "no images"
    print(
        f"{args.out}: {m['n']} samples of {m['suite']} (seed {m['seed']}), {m['counts']['pngs']} PNGs "
        f"[{sizes}] in {m['time_s']:.1f}s ({m['samples_per_s']} samples/s, {m['args']['workers']} workers)"
    )
    requested = args.image_size
    if (
        requested
        and m["counts"]["image_sizes"]
        and not any(str(requested) in s.split("x") for s in m["counts"]["image_sizes"])
    ):
        print(
            f"note: suite {m['suite']!r} did not use --image-size {requested} (see svemath.data.generate)",
            file=sys.stderr,
        )
    print(f"wrote {args.out}/manifest.json")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from svemath.data.validate import validate
    from svemath.fileio import write_json

    report = validate(
        args.path, image_root=args.image_root, check_images=not args.no_decode, workers=args.workers
    )
    for problem in report.problems:
        print(problem)
    if args.json:
        write_json(args.json, report.to_dict())
    status = "ok" if report.ok else f"{len(report.problems)} problem(s)"
    print(
        f"{args.path}: {report.n_records} records, {report.n_images} images: {status}",
        file=sys.stdout if report.ok else sys.stderr,
    )
    return 0 if report.ok else 1


def cmd_show(args: argparse.Namespace) -> int:
    from svemath.data.show import contact_sheet

    info = contact_sheet(
        args.path,
        args.out,
        n=args.n,
        offset=args.offset,
        cols=args.cols,
        cell=args.cell,
        text_lines=args.lines,
        image_root=args.image_root,
    )
    print(
        f"{args.out}: {info['n']} records in {info['rows']}x{info['cols']} cells, "
        f"{info['size'][0]}x{info['size'][1]} px"
    )
    return 0


def cmd_check_overlap(args: argparse.Namespace) -> int:
    from svemath.data.overlap import check_overlap
    from svemath.fileio import write_json

    report = check_overlap(
        args.train,
        args.eval,
        question_policy=args.question_policy,
        workers=args.workers,
        train_image_root=args.train_image_root,
        eval_image_root=args.eval_image_root,
    )
    m = report["matches"]
    print(
        f"train {report['n_train']} items, eval {report['n_eval']} items: "
        f"{m['image_bytes']} same image bytes, {m['pixels']} same pixels, "
        f"{m['question_item']} same question+item ({m['question_text']} same question text); "
        f"{report['overlapping_eval_items']} eval items overlap -> {'OK' if report['ok'] else 'OVERLAP'}"
    )
    for ex in report["examples"][:10]:
        print(f"  {ex['kind']}: eval {ex['eval_id']} ~ train {ex['train_id']}")
    if args.out:
        write_json(args.out, report)
        print(f"wrote {args.out}")
    return 0 if report["ok"] else 1


def cmd_list(args: argparse.Namespace) -> int:
    from svemath.data.suites import get_suite, suite_names

    suites = [get_suite(name) for name in suite_names()]
    if args.json:
        print(
            json.dumps(
                [
                    {"name": s.name, "stream": s.stream, "version": s.version, "description": s.description}
                    for s in suites
                ],
                indent=2,
            )
        )
        return 0
    if not suites:
        print("no suites registered")
    width = max((len(s.name) for s in suites), default=0)
    for s in suites:
        first = (s.description.splitlines() or [""])[0]
        print(f"{s.name:<{width}}  {s.stream:<5}  v{s.version}  {first}")
    return 0
