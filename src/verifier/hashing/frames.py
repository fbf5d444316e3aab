"""Perceptual hashes of single video frames, and a compact container for one clip's hashes.

Two hashes are kept per sampled frame because they fail differently:

* **pHash (64 bit)** is the DCT hash of the ``imagehash`` library. It is cheap to
  compare, widely used by open-source investigators, and the values we store must be
  reproducible by anyone with ``imagehash`` (a court or a partner can recompute them),
  so :func:`phash64` *is* ``imagehash.phash`` -- no look-alike reimplementation.
* **PDQ (256 bit + quality)** is Meta's hash used by ThreatExchange, GIFCT, NCMEC and
  StopNCII. It is more robust (256 bits, Jarosz filters) and, above all, it is the
  format other organisations exchange, so its hex form follows Meta's convention
  exactly (see :func:`pdq_to_hex`).

Near-uniform frames (black, white, flat sky, heavy blur) hash to near-arbitrary
bit patterns that collide across unrelated clips; :func:`is_low_information` flags them
so that matching can ignore them.

Everything here is a pure function of NumPy arrays: no I/O, no decoding, no Qt.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Final

import cv2
import imagehash
import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

from verifier.errors import VerifierError

__all__ = [
    "FRAME_HASHES_FORMAT",
    "FRAME_HASHES_VERSION",
    "LOW_INFO_BLUR_DETAIL",
    "LOW_INFO_MAX_LOW_FREQ_FRACTION",
    "LOW_INFO_MIN_DETAIL",
    "LOW_INFO_MIN_STD",
    "PDQ_BYTES",
    "PDQ_MIN_QUALITY",
    "FrameHashes",
    "hamming64",
    "hamming256",
    "is_low_information",
    "low_information_stats",
    "pdq256",
    "pdq_from_hex",
    "pdq_to_hex",
    "phash64",
    "phash_from_hex",
    "phash_to_hex",
]

PDQ_BYTES: Final = 32
"""A PDQ hash is 256 bits."""

PDQ_MIN_QUALITY: Final = 50
"""PDQ quality below which Meta's own tools ignore a frame's hash.

Meta's vPDQ matcher drops frames whose PDQ quality is under 50 before matching
(``VPDQ_QUALITY_THRESHOLD = 50`` in facebook/ThreatExchange
``python-threatexchange/threatexchange/extensions/vpdq/vpdq_util.py``): low
quality means a featureless image whose hash is mostly noise. We keep such rows
(the clip's timeline stays complete) but mark them low-information so they never
produce a match on their own.
"""

LOW_INFO_MIN_STD: Final = 6.0
"""Luma standard deviation (0-255 scale) below which a frame is "flat".

Measured on 32x32 area-averaged thumbnails: black/white/grey frames and sensor
noise on black (area averaging removes most of the noise) stay below 3; a dim
but real night scene is typically above 15. 6 leaves margin on both sides.
"""

LOW_INFO_MIN_DETAIL: Final = 4.0
"""RMS amplitude (0-255 scale) of the detail above the lowest 3x3 DCT band.

This is the part of the image the hashes actually encode: a frame with a large
brightness slope but under 4 grey levels of detail (overexposed sky, a lens
pressed against a wall, heavy defocus) hashes to its slope alone. Natural
frames in the shared sample media never go below 20; a phone pushed against a
door in ``doorknob-hd-no-bar.mp4`` drops to 0.7-3.8 while its PDQ quality is 0-5.
"""

LOW_INFO_MAX_LOW_FREQ_FRACTION: Final = 0.97
"""Share of AC energy in the lowest 3x3 DCT band above which detail must exceed
:data:`LOW_INFO_BLUR_DETAIL`.

A heavily blurred frame can keep a few grey levels of residual detail yet have
99 % of its energy in the lowest band; natural frames stay under 0.8 (measured
on the shared sample media), so the combination only catches blur.
"""

LOW_INFO_BLUR_DETAIL: Final = 8.0
"""Detail RMS required of a frame whose energy is almost all low-frequency."""

_LOW_INFO_SIZE: Final = 32
_LOW_BAND: Final = 3

FRAME_HASHES_FORMAT: Final = "verifier.frame-hashes"
FRAME_HASHES_VERSION: Final = 1
"""Version of :meth:`FrameHashes.to_bytes`; bump it when the layout changes."""

_HAS_BITWISE_COUNT: Final = hasattr(np, "bitwise_count")
_POPCOUNT8: Final = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


# --------------------------------------------------------------------------- pHash


def _as_image_array(rgb: np.ndarray, *, name: str) -> np.ndarray:
    """Check that ``rgb`` is an 8-bit grey (H, W) or RGB (H, W, 3) image."""
    if not isinstance(rgb, np.ndarray) or rgb.dtype != np.uint8:
        raise ValueError(f"{name} expects a uint8 NumPy array, got {getattr(rgb, 'dtype', rgb)!r}")
    if not (rgb.ndim == 2 or (rgb.ndim == 3 and rgb.shape[2] == 3)):
        raise ValueError(f"{name} expects an (H, W) or (H, W, 3) array, got shape {rgb.shape}")
    if rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ValueError(f"{name} got an empty image of shape {rgb.shape}")
    return rgb


def phash64(rgb: np.ndarray) -> int:
    """The 64-bit pHash of an RGB (or grey) frame, exactly as ``imagehash.phash`` computes it.

    Bit order is imagehash's: the 8x8 boolean matrix read row by row, first cell
    most significant, so ``format(phash64(x), "016x") == str(imagehash.phash(img))``.

    This calls ``imagehash`` rather than reimplementing it because the time is
    spent in Pillow's Lanczos downscale of the full frame (about 5-7 ms at
    720x1280), whose 22-bit fixed-point arithmetic and intermediate rounding a
    NumPy/OpenCV resize does not reproduce bit for bit; an approximate hash would
    not be recomputable by third parties with ``imagehash``. Analysis bounds the
    cost by hashing sampled frames only.
    """
    arr = _as_image_array(rgb, name="phash64")
    bits = imagehash.phash(Image.fromarray(np.ascontiguousarray(arr))).hash
    return int.from_bytes(np.packbits(bits.reshape(-1)).tobytes(), "big")


def phash_to_hex(value: int) -> str:
    """imagehash's 16-hex-digit text form of a 64-bit pHash."""
    if not 0 <= value < 1 << 64:
        raise ValueError(f"not a 64-bit pHash: {value!r}")
    return format(value, "016x")


def phash_from_hex(text: str) -> int:
    """Parse imagehash's 16-hex-digit text form (``str(imagehash.phash(...))``)."""
    if len(text) != 16:
        raise ValueError(f"a pHash is 16 hex digits, got {len(text)}: {text!r}")
    try:
        return int(text, 16)
    except ValueError:
        raise ValueError(f"not a hex pHash: {text!r}") from None


# --------------------------------------------------------------------------- PDQ


def pdq256(rgb: np.ndarray) -> tuple[bytes, int]:
    """The 256-bit PDQ hash (32 bytes, Meta's bit order) and its quality 0-100.

    ``pdqhash.compute`` returns the 256 bits as a vector whose element 0 is the
    hash's most significant bit (bit 255 of Meta's ``Hash256``), so packing the
    vector MSB-first gives the bytes of Meta's hex string in order; see
    :func:`pdq_to_hex`. Grey input is replicated to three channels because
    ``pdqhash`` only accepts (H, W, 3).
    """
    arr = _as_image_array(rgb, name="pdq256")
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    bits, quality = pdqhash.compute(np.ascontiguousarray(arr))
    packed = np.packbits(np.asarray(bits, dtype=np.uint8))
    return packed.tobytes(), int(quality)


def pdq_to_hex(b: bytes) -> str:
    """Meta's 64-hex-digit text form of a PDQ hash.

    Convention (the one every ThreatExchange tool reads and writes): the hash is
    a 256-bit big-endian number whose most significant bit is PDQ bit 255;
    Meta's ``Hash256`` keeps 16 words of 16 bits, bit ``k`` in word ``k >> 4``
    at position ``k & 15``, and prints the words from ``w[15]`` down to ``w[0]``,
    four hex digits each. Our 32 bytes are that number's big-endian bytes, so the
    hex form is simply ``b.hex()``.

    Confirmed in facebook/ThreatExchange:

    * ``pdq/python/pdqhashing/types/hash256.py`` (``__str__``/``setBit``: word order);
    * ``python-threatexchange/threatexchange/signal_type/pdq/pdq_hasher.py``
      (``_pdq_from_numpy_array``: the ``pdqhash`` bit vector is joined element 0
      first and read as a base-2 integer, i.e. element 0 is the MSB);
    * faustomorales/pdqhash-python ``pdqhash/bindings.pyx`` (``hash_to_vector``
      lists bits 0..255 then reverses them, so element 0 is bit 255);
    * and numerically: frames 0, 60 and 120 of ThreatExchange's sample video
      ``pattern-hd-no-bar.mp4`` hash to within 0-2 bits of Meta's published
      ``vpdq/sample-hashes/pattern-hd-no-bar.txt`` with this convention, and
      124-140 bits away with the bit order reversed (tests/test_hashing.py).
    """
    if len(b) != PDQ_BYTES:
        raise ValueError(f"a PDQ hash is {PDQ_BYTES} bytes, got {len(b)}")
    return bytes(b).hex()


def pdq_from_hex(s: str) -> bytes:
    """Parse Meta's 64-hex-digit PDQ text form (either case) into 32 bytes."""
    if len(s) != 2 * PDQ_BYTES:
        raise ValueError(f"a PDQ hash is {2 * PDQ_BYTES} hex digits, got {len(s)}: {s!r}")
    try:
        return bytes.fromhex(s)
    except ValueError:
        raise ValueError(f"not a hex PDQ hash: {s!r}") from None


# --------------------------------------------------------------------------- low information


def low_information_stats(gray_small: np.ndarray) -> tuple[float, float, float]:
    """(std, low-frequency fraction, detail RMS) of a small grey frame, on the 0-255 scale.

    The frame is area-averaged to 32x32 first so the numbers do not depend on the
    thumbnail size the caller picked, then transformed with an orthonormal DCT:
    by Parseval the AC energy divided by the pixel count is the variance, which
    lets one transform give all three statistics.
    """
    arr = np.asarray(gray_small)
    if arr.ndim != 2 or arr.size == 0:
        raise ValueError(f"is_low_information expects a 2-D grey frame, got shape {arr.shape}")
    small = cv2.resize(
        arr.astype(np.float32), (_LOW_INFO_SIZE, _LOW_INFO_SIZE), interpolation=cv2.INTER_AREA
    )
    coeffs = cv2.dct(small)
    energy = coeffs.astype(np.float64) ** 2
    n = float(_LOW_INFO_SIZE * _LOW_INFO_SIZE)
    ac = float(energy.sum() - energy[0, 0])
    low = float(energy[:_LOW_BAND, :_LOW_BAND].sum() - energy[0, 0])
    std = float(np.sqrt(max(ac, 0.0) / n))
    fraction = low / ac if ac > 1e-9 else 1.0
    detail = float(np.sqrt(max(ac - low, 0.0) / n))
    return std, fraction, detail


def is_low_information(gray_small: np.ndarray, pdq_quality: int | None = None) -> bool:
    """True when a frame carries too little structure for its hashes to mean anything.

    Such frames (fades through black, white flashes, lens caps, overexposed sky,
    heavy blur) hash alike across unrelated clips, so a "match" on them is noise
    that would mislead an investigator. Rules, any of which flags the frame:

    * luma std below :data:`LOW_INFO_MIN_STD` (flat frame);
    * detail RMS below :data:`LOW_INFO_MIN_DETAIL` (only a brightness slope left);
    * over :data:`LOW_INFO_MAX_LOW_FREQ_FRACTION` of the AC energy in the lowest
      3x3 DCT band with under :data:`LOW_INFO_BLUR_DETAIL` of detail (heavy blur);
    * a PDQ quality, when given, below :data:`PDQ_MIN_QUALITY` (Meta's own hint).
    """
    if pdq_quality is not None and pdq_quality < PDQ_MIN_QUALITY:
        return True
    std, fraction, detail = low_information_stats(gray_small)
    if std < LOW_INFO_MIN_STD or detail < LOW_INFO_MIN_DETAIL:
        return True
    return fraction > LOW_INFO_MAX_LOW_FREQ_FRACTION and detail < LOW_INFO_BLUR_DETAIL


# --------------------------------------------------------------------------- Hamming distances


def _popcount_u8(x: np.ndarray) -> np.ndarray:
    """Per-byte population count of a uint8 array."""
    if _HAS_BITWISE_COUNT:
        return np.bitwise_count(x)
    return _POPCOUNT8[x]


def hamming64(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """Hamming distances between 64-bit hashes, element-wise with NumPy broadcasting.

    ``hamming64(h[:, None], g[None, :])`` gives the full (N, M) distance matrix
    in one vectorised pass, which is what timeline matching needs.
    """
    x = np.bitwise_xor(np.asarray(a, dtype=np.uint64), np.asarray(b, dtype=np.uint64))
    if _HAS_BITWISE_COUNT:
        return np.bitwise_count(x).astype(np.int32)
    x = np.ascontiguousarray(x)
    per_byte = _POPCOUNT8[x.view(np.uint8).reshape(*x.shape, 8)]
    return per_byte.sum(axis=-1, dtype=np.int32)


def hamming256(a: npt.ArrayLike, b: npt.ArrayLike) -> np.ndarray:
    """Hamming distances between PDQ hashes held as (..., 32) uint8 arrays (broadcasting).

    A single hash may be given as 32 bytes or a (32,) array; the result has the
    broadcast shape without the last axis.
    """
    x = _as_pdq_array(a)
    y = _as_pdq_array(b)
    return _popcount_u8(np.bitwise_xor(x, y)).sum(axis=-1, dtype=np.int32)


def _as_pdq_array(v: npt.ArrayLike | bytes) -> np.ndarray:
    """View bytes or an array as uint8 with a last axis of 32."""
    arr = np.frombuffer(v, dtype=np.uint8) if isinstance(v, bytes | bytearray) else np.asarray(v)
    if arr.dtype != np.uint8 or arr.ndim == 0 or arr.shape[-1] != PDQ_BYTES:
        raise ValueError(f"PDQ hashes must be uint8 arrays of shape (..., 32), got {arr.shape}")
    return arr


# --------------------------------------------------------------------------- per-clip container

_ARRAY_SPECS: Final[dict[str, tuple[np.dtype, tuple[int, ...]]]] = {
    "index": (np.dtype(np.int32), ()),
    "pts": (np.dtype(np.int64), ()),
    "seconds": (np.dtype(np.float64), ()),
    "phash": (np.dtype(np.uint64), ()),
    "pdq": (np.dtype(np.uint8), (PDQ_BYTES,)),
    "quality": (np.dtype(np.uint8), ()),
    "low_info": (np.dtype(np.bool_), ()),
}


def _empty(name: str) -> np.ndarray:
    dtype, tail = _ARRAY_SPECS[name]
    return np.zeros((0, *tail), dtype=dtype)


@dataclass(eq=False)
class FrameHashes:
    """The sampled frame hashes of one clip, as parallel arrays (row ``i`` = one frame).

    Arrays rather than a list of objects because matching compares thousands of
    hashes at once (see :func:`hamming64`, :func:`hamming256`) and storage keeps
    them as one blob. ``pts`` is in the stream's ``time_base`` (a fraction like
    ``"1/15360"``) and is the exact frame identity; ``seconds`` is the
    clip-relative float time for display and alignment; ``sample_rate`` is the
    sampling rate analysis used (frames per second), recorded so a later
    comparison knows the hashes' temporal density.
    """

    index: np.ndarray = field(default_factory=lambda: _empty("index"))
    pts: np.ndarray = field(default_factory=lambda: _empty("pts"))
    seconds: np.ndarray = field(default_factory=lambda: _empty("seconds"))
    phash: np.ndarray = field(default_factory=lambda: _empty("phash"))
    pdq: np.ndarray = field(default_factory=lambda: _empty("pdq"))
    quality: np.ndarray = field(default_factory=lambda: _empty("quality"))
    low_info: np.ndarray = field(default_factory=lambda: _empty("low_info"))
    time_base: str = "1/1"
    sample_rate: float = 0.0

    def __post_init__(self) -> None:
        """Coerce dtypes and check that all arrays describe the same frames."""
        n: int | None = None
        for name, (dtype, tail) in _ARRAY_SPECS.items():
            arr = np.ascontiguousarray(np.asarray(getattr(self, name)), dtype=dtype)
            if arr.size == 0:
                arr = arr.reshape(0, *tail)
            if arr.shape[1:] != tail or arr.ndim != 1 + len(tail):
                raise ValueError(f"FrameHashes.{name} must have shape (N, {tail}), got {arr.shape}")
            if n is None:
                n = arr.shape[0]
            elif arr.shape[0] != n:
                raise ValueError(
                    f"FrameHashes arrays differ in length: {name} has {arr.shape[0]}, expected {n}"
                )
            setattr(self, name, arr)

    def __len__(self) -> int:
        return int(self.index.shape[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrameHashes):
            return NotImplemented
        return (
            self.time_base == other.time_base
            and self.sample_rate == other.sample_rate
            and all(
                np.array_equal(getattr(self, name), getattr(other, name)) for name in _ARRAY_SPECS
            )
        )

    def to_bytes(self) -> bytes:
        """Serialise to a compressed, versioned ``.npz`` blob (no pickle).

        ``np.savez_compressed`` keeps exact dtypes and bytes, so the round trip is
        lossless; a ``header`` entry carries the format name and version so a
        reader can tell an older or foreign blob from a corrupt one.
        """
        header = json.dumps(
            {
                "format": FRAME_HASHES_FORMAT,
                "version": FRAME_HASHES_VERSION,
                "time_base": self.time_base,
                "sample_rate": self.sample_rate,
            }
        )
        buffer = io.BytesIO()
        arrays = {name: getattr(self, name) for name in _ARRAY_SPECS}
        np.savez_compressed(buffer, header=np.array(header), **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, b: bytes) -> FrameHashes:
        """Read a blob written by :meth:`to_bytes`; refuse other formats or versions.

        Raises :class:`~verifier.errors.VerifierError` (the clip should be
        re-analysed) rather than guessing at an unknown layout.
        """
        try:
            with np.load(io.BytesIO(b), allow_pickle=False) as npz:
                header = json.loads(str(npz["header"][()]))
                arrays = {name: npz[name] for name in _ARRAY_SPECS}
        except (OSError, ValueError, KeyError, EOFError) as exc:
            raise VerifierError(f"stored frame hashes are unreadable ({exc})") from exc
        if not isinstance(header, dict) or header.get("format") != FRAME_HASHES_FORMAT:
            raise VerifierError("stored frame hashes are not in Verifier's format")
        version = header.get("version")
        if version != FRAME_HASHES_VERSION:
            raise VerifierError(
                f"stored frame hashes have format version {version}, this Verifier reads "
                f"version {FRAME_HASHES_VERSION}; re-analyse the clip"
            )
        return cls(
            time_base=str(header["time_base"]),
            sample_rate=float(header["sample_rate"]),
            **arrays,
        )
