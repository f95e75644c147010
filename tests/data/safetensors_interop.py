#!/usr/bin/env python3
"""Proves grpo's safetensors files interoperate with the reference implementation
(huggingface/safetensors), in both directions.

  python3 tests/data/safetensors_interop.py write   # writes tests/data/reference.safetensors
  python3 tests/data/safetensors_interop.py check FILE

`write` makes the small fixture that tests/test_io_safetensors.cpp reads (commit it);
`check` loads a file grpo wrote (build/tests/grpo_tests -tc="*interop*" leaves one at
/tmp/grpo_written.safetensors) and verifies the same values. Needs: pip install
safetensors numpy.
"""
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file, save_file
from safetensors import safe_open

EXPECTED = {
    "embed.weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5,
    "head.bias": np.array([1.5, -2.25], dtype=np.float64),
    "step": np.array([7], dtype=np.int64),
}
METADATA = {"format": "pt", "written_by": "safetensors"}


def main():
    if sys.argv[1] == "write":
        out = Path(__file__).with_name("reference.safetensors")
        save_file(EXPECTED, str(out), metadata=METADATA)
        print(f"wrote {out}")
    elif sys.argv[1] == "check":
        tensors = load_file(sys.argv[2])
        assert tensors.keys() == EXPECTED.keys(), tensors.keys()
        for name, want in EXPECTED.items():
            got = tensors[name]
            assert got.dtype == want.dtype and got.shape == want.shape, (name, got.dtype, got.shape)
            assert np.array_equal(got, want), (name, got, want)
        with safe_open(sys.argv[2], framework="numpy") as f:
            assert f.metadata() == {"written_by": "grpo"}, f.metadata()
        print(f"{sys.argv[2]}: {len(tensors)} tensors and metadata match")


if __name__ == "__main__":
    main()
