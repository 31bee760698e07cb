"""`python -m bench.gpu_embed`: passage embedding on a GPU, setting by setting; skips without one.

Runs `bench.embed_throughput` on CUDA over the shared corpus's chunk mix: sentence-transformers'
fp32 batch 32 (the product before issue 27) and batch 1024, `index.torch_passages` in fp32, fp16
(sorted and not) and bf16 at several batch sizes, and `RayEngine` with 1, 2, 4 and 8 actors per
GPU; records chunks/s and each setting's minimum cosine to fp32 in bench/results/embed_cuda.json
and in docs/benchmarks.md (between the `embed-cuda` markers). Without a CUDA device it says so
and exits 0, so it can sit in any script.

Examples:
  python -m bench.gpu_embed                       # 50,000 chunks per setting, Ray included
  python -m bench.gpu_embed --chunks 200000 --no-ray
"""

from __future__ import annotations

import sys


def cuda_available() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def main() -> int:
    if not cuda_available():
        print("bench.gpu_embed: no CUDA device here: skipped")
        return 0
    from bench.embed_throughput import main as throughput

    argv = sys.argv[1:]
    ray = "--no-ray" not in argv
    argv = [a for a in argv if a != "--no-ray"]
    defaults = ["--chunks", "50000", "--rounds", "3"] if "--chunks" not in argv else []
    throughput([*defaults, *argv, *(["--ray"] if ray else []), "--docs"], device_default="cuda")
    return 0


if __name__ == "__main__":
    sys.exit(main())
