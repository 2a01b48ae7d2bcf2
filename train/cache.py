"""Frozen-tower feature cache: tower outputs computed once per image, reused by align/instruct/prm.

While CLIP and GeoGLIP are frozen, their outputs (``model.encode_images``: CLIP tokens and GeoGLIP
levels resampled to the CLIP grid) depend only on the image, so a stage computes them once per image
and trains the router, projector and LLM at language-model speed. The cache file is keyed by a hash of
the towers' weights and image settings and by the dataset's ``data.jsonl`` hash; a change in either
gives a new key, so a stale cache is never read. Features are stored in bfloat16 in one safetensors
file per (dataset, key), written atomically, and read back through a memory map.
"""

from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from tqdm.auto import tqdm

from svemath.fileio import sha256_file


def towers_hash(model: torch.nn.Module, processor: Any) -> str:
    """sha256 over the frozen towers' parameters/buffers and the processor's image settings."""
    h = hashlib.sha256()
    for name in ("clip", "geoglip"):
        module = getattr(model, name, None)
        if module is None:
            h.update(f"{name}:none".encode())
            continue
        for key, tensor in sorted(module.state_dict().items()):
            h.update(key.encode())
            h.update(tensor.detach().to(torch.float32).cpu().contiguous().numpy().tobytes())
    spec = processor.to_dict() if hasattr(processor, "to_dict") else {}
    spec = {k: v for k, v in spec.items() if k in ("clip", "geoglip", "pad_fill")}
    spec["label_slots"] = int(getattr(model, "label_slots", 0) or 0)  # label tokens are part of the features
    if getattr(model, "shape_slots", 0):  # so are shape tokens (absent: the hashes of older caches hold)
        spec["shape_slots"] = int(model.shape_slots)
        spec["shape_score_threshold"] = float(model.config.shape_score_threshold)
    h.update(json.dumps(spec, sort_keys=True, default=str).encode())
    return h.hexdigest()


def dataset_hash(path: Path) -> str:
    data = path / "data.jsonl" if path.is_dir() else path
    return sha256_file(data)


class FeatureCache:
    """Row-addressable cached features of every image of one dataset."""

    def __init__(self, file: Path, indices: list[int]) -> None:
        self.file = file
        self.rows = {idx: row for row, idx in enumerate(indices)}  # record index -> row
        self._handle = safe_open(str(file), framework="pt")
        self.keys = sorted(self._handle.keys())

    def __contains__(self, index: int) -> bool:
        return index in self.rows

    def get(self, index: int) -> dict[str, torch.Tensor]:
        """Features of record ``index`` of the dataset (one image, no batch axis)."""
        row = self.rows[index]
        return {k: self._handle.get_slice(k)[row : row + 1][0].to(torch.float32) for k in self.keys}

    @classmethod
    def build(
        cls,
        model: torch.nn.Module,
        processor: Any,
        records: list[Any],
        dataset_path: Path,
        cache_dir: Path,
        name: str,
        batch_size: int = 32,
    ) -> FeatureCache:
        """Load the cache for ``records`` (with images) or compute and write it."""
        key = hashlib.sha256(
            f"{towers_hash(model, processor)}:{dataset_hash(dataset_path)}".encode()
        ).hexdigest()
        file = cache_dir / f"{name}-{key[:16]}.safetensors"
        indices = [i for i, r in enumerate(records) if r.image is not None]
        with_images = [records[i] for i in indices]
        if file.is_file():
            return cls(file, indices)
        cache_dir.mkdir(parents=True, exist_ok=True)
        chunks: dict[str, list[torch.Tensor]] = {}
        was_training = model.training
        model.eval()

        def preprocess(start: int) -> list[dict[str, torch.Tensor]]:
            return [processor.preprocess_image(r.image) for r in with_images[start : start + batch_size]]

        starts = list(range(0, len(with_images), batch_size))
        # the next batch is decoded and resized in a worker thread while this one is encoded
        pool = ThreadPoolExecutor(max_workers=1)
        pending = pool.submit(preprocess, starts[0]) if starts else None
        with torch.no_grad():
            for index in tqdm(range(len(starts)), desc=f"caching {name} features"):
                batch = pending.result()
                if index + 1 < len(starts):
                    pending = pool.submit(preprocess, starts[index + 1])
                pixels = torch.stack([b["pixel_values"] for b in batch])
                geo = (
                    torch.stack([b["geo_pixel_values"] for b in batch])
                    if "geo_pixel_values" in batch[0]
                    else None
                )
                feats = model.encode_images(pixels, geo)
                for k, v in feats.items():
                    chunks.setdefault(k, []).append(v.detach().to(torch.bfloat16).cpu())
        pool.shutdown()
        model.train(was_training)
        tensors = {k: torch.cat(v).contiguous() for k, v in chunks.items()}
        tmp = file.with_suffix(".tmp")
        save_file(tensors, str(tmp), metadata={"dataset": str(dataset_path), "n": str(len(indices))})
        tmp.replace(file)  # same directory: an atomic rename
        return cls(file, indices)
