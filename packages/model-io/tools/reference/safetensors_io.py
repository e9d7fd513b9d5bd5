"""Plain-Python reader and writer for the safetensors format (no `safetensors` package needed).

Format (https://github.com/huggingface/safetensors, README "Format"): an 8-byte little-endian header
length N, N bytes of JSON (`{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}`,
offsets relative to the end of the header), then the raw little-endian tensor bytes.
"""

from __future__ import annotations

import json
import struct

import numpy as np

_NP_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "I16": np.dtype("<i2"),
    "I8": np.dtype("i1"),
    "U8": np.dtype("u1"),
    "BOOL": np.dtype("?"),
}
_DTYPE_NAMES = {v: k for k, v in _NP_DTYPES.items()}


def read_safetensors(path: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """All tensors of one file (BF16 is widened to float32 exactly) and its `__metadata__`."""
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    base = 8 + n
    metadata = header.pop("__metadata__", {}) or {}
    tensors: dict[str, np.ndarray] = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        buf = raw[base + begin : base + end]
        shape = tuple(entry["shape"])
        if entry["dtype"] == "BF16":
            bits = np.frombuffer(buf, dtype="<u2").astype(np.uint32) << 16
            arr = bits.view(np.float32)
        elif entry["dtype"] in _NP_DTYPES:
            arr = np.frombuffer(buf, dtype=_NP_DTYPES[entry["dtype"]])
        else:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {entry['dtype']}")
        tensors[name] = arr.reshape(shape).copy()
    return tensors, metadata


class BF16:
    """A tensor to be stored as BF16: `bits` holds the upper 16 bits of float32 values."""

    def __init__(self, bits: np.ndarray):
        self.bits = np.ascontiguousarray(bits, dtype="<u2")


def to_bf16(x: np.ndarray) -> BF16:
    """float32 -> bfloat16 with round-to-nearest-even (torch's Tensor.to(torch.bfloat16))."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return BF16(rounded.astype(np.uint16))


def bf16_to_f32(b: BF16) -> np.ndarray:
    return (b.bits.astype(np.uint32) << 16).view(np.float32)


def write_safetensors(path: str, tensors: dict, metadata: dict[str, str] | None = None) -> None:
    """Write tensors (numpy arrays, or BF16) in name order (deterministic bytes); the header is
    space-padded to a multiple of 8 bytes."""
    header: dict[str, object] = {}
    if metadata is not None:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        if isinstance(tensors[name], BF16):
            bits = tensors[name].bits
            data = bits.tobytes()
            header[name] = {"dtype": "BF16", "shape": list(bits.shape), "data_offsets": [offset, offset + len(data)]}
            chunks.append(data)
            offset += len(data)
            continue
        arr = np.ascontiguousarray(tensors[name])
        dt = arr.dtype.newbyteorder("<") if arr.dtype.byteorder == ">" else arr.dtype
        if dt not in _DTYPE_NAMES:
            raise ValueError(f"tensor {name}: unsupported numpy dtype {arr.dtype}")
        data = arr.astype(dt, copy=False).tobytes()
        header[name] = {"dtype": _DTYPE_NAMES[dt], "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for c in chunks:
            f.write(c)
