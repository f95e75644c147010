#!/usr/bin/env python3
"""Writes tests/data/safetensors_corpus/: small good and bad safetensors files and manifest.json,
which tests/test_io_safetensors.cpp loads with grpo and compares against.

  python3 tests/data/make_safetensors_corpus.py     # needs: pip install safetensors numpy

Good files come from safetensors.numpy.save_file or are hand-built bytes that the format allows
(tensors in any header order, whitespace around the JSON, ...); bad files are hand-built bytes.
Each file's python_accepts is found by opening it with Python's safetensors, not written here.
grpo_accepts equals python_accepts except where GRPO_DIFFERS gives the reason.
"""
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import safetensors
from safetensors import safe_open
from safetensors.numpy import save_file

OUT = Path(__file__).with_name("safetensors_corpus")

# Files Python's safetensors accepts but grpo rejects, and why. Keep this list short; the
# header comment of include/grpo/io/safetensors.hpp repeats it.
UNSUPPORTED_DTYPE = "valid safetensors dtype that grpo does not support (only F64 F32 BF16 F16 I64 I32 U8)"
GRPO_DIFFERS = {
    "diff_dtype_bool.safetensors": UNSUPPORTED_DTYPE,
    "diff_dtype_i8.safetensors": UNSUPPORTED_DTYPE,
    "diff_dtype_u16.safetensors": UNSUPPORTED_DTYPE,
    "diff_dtype_f8_e4m3.safetensors": UNSUPPORTED_DTYPE,
    "diff_duplicate_name_same_entry.safetensors":
        "duplicate tensor name: Python's JSON map keeps the last entry silently; grpo refuses "
        "an ambiguous header",
    "diff_zero_size_dims_past_int64.safetensors":
        "grpo keeps shapes as int64: the running product of the dims must stay below 2^63 "
        "(Python: 2^64); only an empty tensor can tell the two apart",
}

files = {}  # name -> bytes
expected = {}  # name -> list of tensors, for the files written by save_file


def raw(name, header, data=b"", length=None):
    """An 8-byte little-endian header length (default: the header's), the header, then data."""
    head = header.encode() if isinstance(header, str) else header
    n = len(head) if length is None else length
    files[name] = struct.pack("<Q", n) + head + data


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def hdr(obj):
    return json.dumps(obj, separators=(",", ":"))


def good(name, tensors, metadata=None):
    """Written by save_file; the manifest lists each tensor's values."""
    path = OUT / name
    save_file(tensors, str(path), metadata=metadata)
    files[name] = path.read_bytes()
    expected[name] = [
        {"name": k, "dtype": dtype_name(v.dtype), "shape": list(v.shape),
         "values": v.reshape(-1).tolist(), "hex": v.tobytes().hex()}
        for k, v in tensors.items()
    ]


def dtype_name(dt):
    return {"float32": "F32", "float64": "F64", "int64": "I64", "int32": "I32",
            "uint8": "U8", "float16": "F16"}[str(dt)]


def make_good():
    f32 = np.arange(6, dtype=np.float32).reshape(2, 3) / 4 - 0.5
    good("good_f32_matrix.safetensors", {"w": f32})
    good("good_f64_vector.safetensors", {"b": np.array([1.5, -2.25, 1e300], dtype=np.float64)})
    good("good_i64_scalar.safetensors", {"step": np.array(-9007199254740993, dtype=np.int64)})
    good("good_i32_3d.safetensors", {"ids": np.arange(-4, 8, dtype=np.int32).reshape(2, 3, 2)})
    good("good_u8.safetensors", {"mask": np.array([0, 1, 127, 128, 255], dtype=np.uint8)})
    good("good_f16.safetensors", {"h": np.array([0.5, -1.0, 65504.0], dtype=np.float16)})
    good("good_zero_size.safetensors",
         {"a": np.zeros((0, 3), dtype=np.float32), "b": np.array([1, 2], dtype=np.int64)})
    good("good_zero_size_only.safetensors", {"empty": np.zeros((0,), dtype=np.float64)})
    good("good_many_zero_size.safetensors",
         {"z1": np.zeros((0,), dtype=np.float32), "z2": np.zeros((3, 0), dtype=np.int32),
          "z3": np.zeros((0, 0, 2), dtype=np.uint8), "x": np.array([3], dtype=np.uint8)})
    good("good_metadata.safetensors", {"w": np.array([1.0], dtype=np.float32)},
         metadata={"format": "pt", "written_by": "safetensors", "empty": ""})
    good("good_several.safetensors",
         {"embed.weight": f32, "head.bias": np.array([1.5, -2.25], dtype=np.float64),
          "step": np.array([7], dtype=np.int64), "layer.0.ids": np.array([[1, 2]], dtype=np.int32),
          "flags": np.array([1, 0, 1], dtype=np.uint8), "scalar": np.array(2.5, dtype=np.float32)})
    good("good_no_tensors.safetensors", {})
    good("good_no_tensors_metadata.safetensors", {}, metadata={"note": "no tensors"})
    good("good_unicode_name.safetensors", {"gewicht.\u00fc\u00df.\u4e2d": np.array([4], dtype=np.int32)})


def make_hand_built_good():
    one = struct.pack("<f", 1.0)
    two = struct.pack("<ff", 2.0, 3.0)
    # Header order differs from data order.
    raw("good_header_order_differs.safetensors",
        hdr({"b": entry("F32", [2], 4, 12), "a": entry("F32", [1], 0, 4)}), one + two)
    raw("good_header_trailing_spaces.safetensors", hdr({"a": entry("F32", [1], 0, 4)}) + "      ", one)
    raw("good_header_leading_whitespace.safetensors", " \n\t" + hdr({"a": entry("F32", [1], 0, 4)}), one)
    raw("good_header_no_tensors_raw.safetensors", "{}")
    raw("good_zero_size_between.safetensors",
        hdr({"a": entry("F32", [1], 0, 4), "z": entry("F32", [0], 4, 4), "b": entry("F32", [2], 4, 12)}),
        one + two)
    raw("good_zero_size_at_end.safetensors",
        hdr({"a": entry("F32", [1], 0, 4), "z": entry("I64", [2, 0], 4, 4)}), one)
    raw("good_extra_entry_field.safetensors",
        hdr({"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4], "note": [1, {"x": None}]}}), one)
    raw("good_bf16.safetensors", hdr({"a": entry("BF16", [2], 0, 4)}), bytes.fromhex("803f00c0"))
    raw("good_empty_name.safetensors", hdr({"": entry("U8", [1], 0, 1)}), b"\x07")
    raw("good_metadata_first.safetensors",
        hdr({"__metadata__": {"k": "v"}, "a": entry("F32", [1], 0, 4)}), one)
    raw("good_metadata_empty.safetensors", hdr({"__metadata__": {}, "a": entry("F32", [1], 0, 4)}), one)
    raw("good_big_dims_zero_size.safetensors", hdr({"a": entry("U8", [0, 4294967296], 0, 0)}))


def make_bad():
    one = struct.pack("<f", 1.0)
    eight = b"\x01" * 8
    ok = hdr({"w": entry("F32", [2], 0, 8)})
    files["bad_empty_file.safetensors"] = b""
    files["bad_too_short.safetensors"] = b"abc"
    raw("bad_header_length_zero.safetensors", "", eight)
    raw("bad_header_length_past_end.safetensors", ok, eight, length=1000)
    raw("bad_header_length_huge.safetensors", ok, eight, length=1 << 40)
    raw("bad_header_length_over_limit.safetensors", ok, eight, length=100_000_001)
    raw("bad_header_length_max.safetensors", ok, eight, length=(1 << 64) - 1)
    raw("bad_truncated_data.safetensors", ok, eight[:5])
    raw("bad_trailing_bytes.safetensors", ok, eight + b"xx")
    raw("bad_gap.safetensors", hdr({"a": entry("F32", [1], 0, 4), "b": entry("F32", [1], 8, 12)}), eight + one)
    raw("bad_gap_at_start.safetensors", hdr({"a": entry("F32", [1], 4, 8)}), eight)
    raw("bad_overlap.safetensors", hdr({"a": entry("F32", [2], 0, 8), "b": entry("F32", [1], 4, 8)}), eight)
    raw("bad_same_range_twice.safetensors",
        hdr({"a": entry("F32", [2], 0, 8), "b": entry("F32", [2], 0, 8)}), eight)
    raw("bad_zero_size_inside_other.safetensors",
        hdr({"a": entry("F32", [2], 0, 8), "z": entry("F32", [0], 4, 4)}), eight)
    raw("bad_reversed_offsets.safetensors", hdr({"w": entry("F32", [2], 8, 0)}), eight)
    raw("bad_offsets_past_end.safetensors", hdr({"w": entry("F32", [4], 0, 16)}), eight)
    raw("bad_wrong_byte_count.safetensors", hdr({"w": entry("F32", [3], 0, 8)}), eight)
    raw("bad_not_json.safetensors", '{"w":', eight)
    raw("bad_garbage_after_json.safetensors", ok + "x", eight)
    raw("bad_two_objects.safetensors", ok + "{}", eight)
    raw("bad_trailing_nul.safetensors", ok + "\0\0", eight)
    raw("bad_nul_then_garbage.safetensors", "{}\0garbage")
    raw("bad_comment.safetensors", "/* c */" + ok, eight)
    raw("bad_bom.safetensors", b"\xef\xbb\xbf" + ok.encode(), eight)
    raw("bad_invalid_utf8_name.safetensors", b'{"w\xff":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', eight)
    raw("bad_header_array.safetensors", "[]")
    raw("bad_header_string.safetensors", '"text"')
    raw("bad_header_null.safetensors", "null")
    raw("bad_header_number.safetensors", "8")
    raw("bad_duplicate_name.safetensors",
        '{"w":' + hdr(entry("F32", [1], 0, 4)) + ',"w":' + hdr(entry("F32", [1], 4, 8)) + "}", eight)
    raw("diff_duplicate_name_same_entry.safetensors",
        '{"w":' + hdr(entry("F32", [2], 0, 8)) + ',"w":' + hdr(entry("F32", [2], 0, 8)) + "}", eight)
    raw("bad_duplicate_field.safetensors",
        '{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}', eight)
    raw("bad_duplicate_metadata.safetensors", '{"__metadata__":{"a":"b"},"__metadata__":{"a":"b"}}')
    raw("bad_shape_not_array.safetensors", hdr({"w": entry("F32", 2, 0, 8)}), eight)
    raw("bad_shape_string.safetensors", hdr({"w": entry("F32", "two", 0, 8)}), eight)
    raw("bad_shape_float.safetensors", '{"w":{"dtype":"F32","shape":[8.7],"data_offsets":[0,32]}}', eight * 4)
    raw("bad_shape_float_whole.safetensors", '{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', eight)
    raw("bad_shape_exponent.safetensors", '{"w":{"dtype":"F32","shape":[2e0],"data_offsets":[0,8]}}', eight)
    raw("bad_shape_negative.safetensors", hdr({"w": entry("F32", [-2], 0, 8)}), eight)
    raw("bad_shape_string_dim.safetensors", hdr({"w": entry("F32", ["2"], 0, 8)}), eight)
    raw("bad_shape_bool_dim.safetensors", hdr({"w": entry("U8", [True], 0, 1)}), b"\x01")
    raw("bad_shape_null.safetensors", hdr({"w": entry("F32", None, 0, 8)}), eight)
    raw("bad_shape_nested.safetensors", hdr({"w": entry("F32", [[2]], 0, 8)}), eight)
    raw("bad_shape_dim_too_big.safetensors",
        '{"w":{"dtype":"U8","shape":[18446744073709551616,0],"data_offsets":[0,0]}}')
    raw("bad_numel_overflow.safetensors", hdr({"w": entry("U8", [4294967296, 4294967296], 0, 0)}))
    raw("bad_numel_overflow_before_zero.safetensors",
        hdr({"w": entry("U8", [4294967296, 4294967296, 0], 0, 0)}))
    raw("diff_zero_size_dims_past_int64.safetensors",
        hdr({"w": entry("U8", [4294967296, 2147483648, 0], 0, 0)}))
    raw("bad_dim_past_int64_nonempty.safetensors", hdr({"w": entry("U8", [9223372036854775808], 0, 0)}))
    raw("bad_byte_count_overflow.safetensors", hdr({"w": entry("F32", [1 << 62], 0, 0)}))
    raw("bad_offsets_float.safetensors", '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}}', eight)
    raw("bad_offsets_negative.safetensors", hdr({"w": entry("F32", [0], -4, -4)}))
    raw("bad_offsets_negative_zero.safetensors", '{"w":{"dtype":"U8","shape":[1],"data_offsets":[-0,1]}}', b"\x01")
    raw("bad_offsets_bool.safetensors", '{"w":{"dtype":"U8","shape":[1],"data_offsets":[false,true]}}', b"\x01")
    raw("bad_offsets_string.safetensors", '{"w":{"dtype":"F32","shape":[2],"data_offsets":["0","8"]}}', eight)
    raw("bad_offsets_three.safetensors", '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}', eight)
    raw("bad_offsets_one.safetensors", '{"w":{"dtype":"F32","shape":[0],"data_offsets":[0]}}')
    raw("bad_offsets_object.safetensors",
        '{"w":{"dtype":"F32","shape":[2],"data_offsets":{"begin":0,"end":8}}}', eight)
    raw("bad_offsets_too_big.safetensors",
        '{"w":{"dtype":"F32","shape":[0],"data_offsets":[18446744073709551616,18446744073709551616]}}')
    raw("bad_missing_dtype.safetensors", '{"w":{"shape":[2],"data_offsets":[0,8]}}', eight)
    raw("bad_missing_shape.safetensors", '{"w":{"dtype":"F32","data_offsets":[0,8]}}', eight)
    raw("bad_missing_offsets.safetensors", '{"w":{"dtype":"F32","shape":[2]}}', eight)
    raw("bad_entry_not_object.safetensors", '{"w":[0,8]}', eight)
    raw("bad_entry_number.safetensors", '{"__metadata__":{},"w":5}')
    raw("bad_unknown_dtype.safetensors", hdr({"w": entry("F31", [2], 0, 8)}), eight)
    raw("bad_dtype_lowercase.safetensors", hdr({"w": entry("f32", [2], 0, 8)}), eight)
    raw("bad_dtype_number.safetensors", hdr({"w": entry(4, [2], 0, 8)}), eight)
    raw("bad_metadata_int_value.safetensors", hdr({"__metadata__": {"step": 3}, "w": entry("F32", [2], 0, 8)}), eight)
    raw("bad_metadata_null_value.safetensors", hdr({"__metadata__": {"k": None}}))
    raw("bad_metadata_nested.safetensors", hdr({"__metadata__": {"k": {"a": "b"}}}))
    raw("bad_metadata_array.safetensors", hdr({"__metadata__": ["a", "b"]}))
    raw("good_metadata_null.safetensors", '{"__metadata__":null}')
    raw("good_metadata_duplicate_key.safetensors", '{"__metadata__":{"k":"a","k":"b"}}')
    raw("bad_metadata_string.safetensors", hdr({"__metadata__": "text"}))
    raw("bad_deep_nesting.safetensors",
        '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":' + "[" * 200 + "]" * 200 + "}}", b"\x01")
    # serde_json's recursion limit: 127 levels of nesting load, 128 do not.
    for levels, name in ((127, "good_nesting_127_levels"), (128, "bad_nesting_128_levels")):
        n = levels - 2  # the top-level object and the entry are two levels
        raw(name + ".safetensors",
            '{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":' + "[" * n + "]" * n + "}}", b"\x01")
    raw("diff_dtype_bool.safetensors", hdr({"w": entry("BOOL", [2], 0, 2)}), b"\x01\x00")
    raw("diff_dtype_i8.safetensors", hdr({"w": entry("I8", [2], 0, 2)}), b"\x01\xff")
    raw("diff_dtype_u16.safetensors", hdr({"w": entry("U16", [2], 0, 4)}), b"\x01\x00\x02\x00")
    raw("diff_dtype_f8_e4m3.safetensors", hdr({"w": entry("F8_E4M3", [2], 0, 2)}), b"\x38\x40")


def python_verdict(path):
    """(accepts, error): open the file the usual way and parse it from bytes; both must agree."""
    verdicts = []
    try:
        with safe_open(str(path), framework="numpy") as f:
            f.keys()
            f.metadata()
        verdicts.append((True, ""))
    except Exception as e:  # the Rust side raises SafetensorError, others for I/O
        verdicts.append((False, f"{type(e).__name__}: {e}"))
    try:
        safetensors.deserialize(path.read_bytes())
        verdicts.append((True, ""))
    except Exception as e:
        verdicts.append((False, f"{type(e).__name__}: {e}"))
    assert verdicts[0][0] == verdicts[1][0], (path.name, verdicts)
    return verdicts[0]


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    OUT.mkdir()
    make_good()
    make_hand_built_good()
    make_bad()
    manifest = []
    for name in sorted(files):
        path = OUT / name
        path.write_bytes(files[name])
        accepts, error = python_verdict(path)
        item = {"file": name, "python_accepts": accepts}
        if error:
            item["python_error"] = error[:200]
        item["grpo_accepts"] = accepts
        if name in GRPO_DIFFERS:
            assert accepts, f"{name}: listed as a difference, but Python rejects it too"
            item["grpo_accepts"] = False
            item["reason"] = GRPO_DIFFERS[name]
        if name in expected:
            item["tensors"] = expected[name]
        manifest.append(item)
    (OUT / "manifest.json").write_text(json.dumps(
        {"written_by": f"tests/data/make_safetensors_corpus.py, safetensors {safetensors.__version__}, "
                       f"numpy {np.__version__}", "files": manifest}, indent=1) + "\n")
    good_count = sum(m["python_accepts"] for m in manifest)
    print(f"wrote {len(manifest)} files to {OUT}: {good_count} Python accepts, "
          f"{len(manifest) - good_count} it rejects")


if __name__ == "__main__":
    main()
