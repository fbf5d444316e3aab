"""Tests for verifier.hashing.frames: pinned hash values, Meta's PDQ hex convention,
low-information frames, batch Hamming distances and the FrameHashes container.

The golden hashes are literal strings on purpose: if an upgrade of imagehash,
pdqhash, Pillow or NumPy changes a hash, stored hashes in existing cases would
silently stop matching new ones, and this test is where that must show up.
"""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import imagehash
import numpy as np
import pytest
from PIL import Image

from verifier.errors import VerifierError
from verifier.hashing.frames import (
    FRAME_HASHES_VERSION,
    PDQ_MIN_QUALITY,
    FrameHashes,
    hamming64,
    hamming256,
    is_low_information,
    low_information_stats,
    pdq256,
    pdq_from_hex,
    pdq_to_hex,
    phash64,
    phash_from_hex,
    phash_to_hex,
)

MEDIA = Path(__file__).resolve().parents[1].parent / "shared" / "media"


# --------------------------------------------------------------------------- test images


def golden_image() -> np.ndarray:
    """A fixed 256x256 RGB picture: colour gradients, three rectangles and a disc."""
    y, x = np.mgrid[0:256, 0:256].astype(np.float64)
    img = np.stack([x, y, (x + y) / 2], axis=-1)
    img[40:100, 30:120] = [220, 30, 40]
    img[150:230, 160:240] = [20, 200, 60]
    img[170:200, 20:90] = [250, 250, 250]
    img[(x - 170) ** 2 + (y - 80) ** 2 <= 40**2] = [30, 60, 210]
    return np.clip(img, 0, 255).astype(np.uint8)


def unrelated_image() -> np.ndarray:
    """Smooth random colour blobs from a fixed seed: natural-ish, unrelated to the golden one."""
    rng = np.random.default_rng(1234)
    small = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    return cv2.resize(small, (256, 256), interpolation=cv2.INTER_CUBIC)


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"))


def small_gray(rgb: np.ndarray, size: tuple[int, int] = (64, 36)) -> np.ndarray:
    """The kind of thumbnail analysis hands to is_low_information."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if rgb.ndim == 3 else rgb
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


GOLDEN = {
    # name: (phash hex, pdq hex, pdq quality)
    "original": (
        "a8359e521f69e11e",
        "2b2d49763083b7bcb6ad79034fd852c37003afbcb90328cbc7fc30a516b4cd56",
        95,
    ),
    "mirrored": (
        "fd60c3074a3cb54b",
        "fcf81803679ec2a9e3f8ac561e8d2f942156f2e9ec56ff9e12a967f002e11803",
        95,
    ),
    "rotated90": (
        "a2e9c6868d9639b3",
        "9c70b874adf4c259c731a7343b5e2994bb5e8ce6984eadb4ba5827b064b1524b",
        95,
    ),
    "unrelated": (
        "d08becd2e8c8a3ae",
        "d354307e39bd117438f428f6c31d9ec5c33a213af4e27f09471bb9a5433b1c68",
        100,
    ),
}


def variants() -> dict[str, np.ndarray]:
    g = golden_image()
    return {
        "original": g,
        "mirrored": np.ascontiguousarray(g[:, ::-1]),
        "rotated90": np.ascontiguousarray(np.rot90(g)),
        "unrelated": unrelated_image(),
    }


# --------------------------------------------------------------------------- pHash


@pytest.mark.parametrize("name", list(GOLDEN))
def test_golden_hashes_are_pinned(name: str) -> None:
    rgb = variants()[name]
    phash_hex, pdq_hex, quality = GOLDEN[name]
    assert phash_to_hex(phash64(rgb)) == phash_hex
    digest, q = pdq256(rgb)
    assert pdq_to_hex(digest) == pdq_hex
    assert q == quality


def test_golden_image_is_deterministic() -> None:
    a, b = golden_image(), golden_image()
    assert a.shape == (256, 256, 3) and a.dtype == np.uint8
    assert np.array_equal(a, b)


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 4])
def test_phash_is_imagehash_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # Random blobs at assorted sizes and aspect ratios, plus a grey frame.
    h, w = int(rng.integers(40, 400)), int(rng.integers(40, 400))
    blobs = rng.integers(0, 256, size=(6, 9, 3), dtype=np.uint8)
    rgb = cv2.resize(blobs, (w, h), interpolation=cv2.INTER_CUBIC)
    expected = str(imagehash.phash(Image.fromarray(rgb)))
    assert format(phash64(rgb), "016x") == expected
    gray = rgb[:, :, 1].copy()
    assert format(phash64(gray), "016x") == str(imagehash.phash(Image.fromarray(gray)))


def test_phash_hex_round_trip_and_validation() -> None:
    value = phash64(golden_image())
    assert phash_from_hex(phash_to_hex(value)) == value
    with pytest.raises(ValueError):
        phash_from_hex("abc")
    with pytest.raises(ValueError):
        phash_from_hex("zz" * 8)
    with pytest.raises(ValueError):
        phash_to_hex(1 << 64)
    with pytest.raises(ValueError):
        phash64(np.zeros((10, 10), dtype=np.float32))
    with pytest.raises(ValueError):
        phash64(np.zeros((10, 10, 4), dtype=np.uint8))


def test_jpeg_recompression_keeps_hashes_close() -> None:
    original = golden_image()
    recompressed = jpeg(original, 30)
    assert int(hamming64(phash64(original), phash64(recompressed))) <= 10
    a, _ = pdq256(original)
    b, _ = pdq256(recompressed)
    assert int(hamming256(a, b)) <= 40


def test_unrelated_image_is_far() -> None:
    a, _ = pdq256(golden_image())
    b, _ = pdq256(unrelated_image())
    assert int(hamming256(a, b)) >= 90


# --------------------------------------------------------------------------- PDQ convention


def test_pdq_hex_round_trip() -> None:
    digest, _ = pdq256(golden_image())
    text = pdq_to_hex(digest)
    assert len(text) == 64 and text == text.lower()
    assert pdq_from_hex(text) == digest
    assert pdq_from_hex(text.upper()) == digest
    with pytest.raises(ValueError):
        pdq_from_hex("00" * 31)
    with pytest.raises(ValueError):
        pdq_from_hex("g" * 64)
    with pytest.raises(ValueError):
        pdq_to_hex(b"\x00" * 31)


def test_pdq_bytes_follow_the_pdqhash_vector_msb_first() -> None:
    """Element 0 of pdqhash's vector is the first (most significant) bit of the hex string,
    which is how python-threatexchange's pdq_hasher turns the vector into text."""
    import pdqhash

    rgb = golden_image()
    vector, _ = pdqhash.compute(rgb)
    as_threatexchange_does = format(int("".join(str(int(v)) for v in vector), 2), "064x")
    assert pdq_to_hex(pdq256(rgb)[0]) == as_threatexchange_does


def test_pdq_accepts_grey() -> None:
    rgb = golden_image()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    digest, quality = pdq256(gray)
    assert len(digest) == 32 and 0 <= quality <= 100


# Meta's published vPDQ hashes of ThreatExchange's sample video (facebook/ThreatExchange,
# vpdq/sample-hashes/pattern-hd-no-bar.txt): frame number -> PDQ hex.
META_VPDQ_PATTERN_HD = {
    0: "d3d8981ba52c59e79fb49295bed80905036b1dbe57b292c8ea4fb525f52c420e",
    60: "0ad784c9d5a342a1385aa67975f8e529f2052e5f2bda5419550fd697ecf0e702",
    120: "688d92c02fbdd5532bc9df11b48df52caf4a683ac2792dc061e40f895a3766d6",
}


def test_pdq_matches_meta_reference_hashes_of_sample_video() -> None:
    """Decoder differences allow a few bits; the wrong bit order would give ~128."""
    path = MEDIA / "threatexchange" / "pattern-hd-no-bar.mp4"
    if not path.exists():
        pytest.skip(f"shared sample media not present at {path}")
    av = pytest.importorskip("av")
    found: dict[int, bytes] = {}
    with av.open(str(path)) as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number in META_VPDQ_PATTERN_HD:
                found[number] = pdq256(frame.to_ndarray(format="rgb24"))[0]
            if number >= max(META_VPDQ_PATTERN_HD):
                break
    for number, reference in META_VPDQ_PATTERN_HD.items():
        ours = found[number]
        ref = pdq_from_hex(reference)
        distance = int(hamming256(ours, ref))
        reversed_bits = np.packbits(np.unpackbits(np.frombuffer(ours, np.uint8))[::-1])
        print(
            f"frame {number}: distance to Meta's hash {distance}, "
            f"with reversed bit order {int(hamming256(reversed_bits, ref))}"
        )
        assert distance <= 8
        assert int(hamming256(reversed_bits, ref)) >= 80


# --------------------------------------------------------------------------- low information


def _uniform(value: int) -> np.ndarray:
    return np.full((256, 256, 3), value, dtype=np.uint8)


def test_low_information_frames_are_flagged() -> None:
    rng = np.random.default_rng(1234)
    noise_on_black = np.clip(rng.normal(8, 4, (256, 256, 3)), 0, 255).astype(np.uint8)
    blurred = cv2.GaussianBlur(golden_image(), (0, 0), 40)
    sky = np.repeat(np.linspace(120, 200, 256)[:, None], 256, axis=1).astype(np.uint8)
    for name, frame in {
        "black": _uniform(0),
        "white": _uniform(255),
        "grey": _uniform(128),
        "noise on black": noise_on_black,
        "heavy blur": blurred,
        "flat sky gradient": sky,
    }.items():
        assert is_low_information(small_gray(frame)), name


def test_natural_frames_are_not_flagged() -> None:
    for name, frame in {"golden": golden_image(), "unrelated": unrelated_image()}.items():
        gray = small_gray(frame)
        assert not is_low_information(gray), name
        assert not is_low_information(gray, pdq_quality=pdq256(frame)[1]), name
    # Thumbnail size does not change the verdict.
    assert not is_low_information(small_gray(golden_image(), (48, 48)))


def test_pdq_quality_hint_and_stats() -> None:
    gray = small_gray(golden_image())
    assert is_low_information(gray, pdq_quality=PDQ_MIN_QUALITY - 1)
    assert not is_low_information(gray, pdq_quality=PDQ_MIN_QUALITY)
    std, fraction, detail = low_information_stats(gray)
    assert std == pytest.approx(
        float(cv2.resize(gray.astype(np.float32), (32, 32), interpolation=cv2.INTER_AREA).std()),
        rel=1e-3,
    )
    assert 0.0 <= fraction <= 1.0 and 0.0 < detail <= std
    # Black, white and noisy frames all have PDQ quality below Meta's threshold too.
    assert pdq256(_uniform(0))[1] < PDQ_MIN_QUALITY
    with pytest.raises(ValueError):
        is_low_information(np.zeros((4, 4, 3), dtype=np.uint8))


# --------------------------------------------------------------------------- Hamming


def test_hamming64_broadcasts_and_matches_python() -> None:
    rng = np.random.default_rng(7)
    a = rng.integers(0, 2**63, size=50, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    b = rng.integers(0, 2**63, size=40, dtype=np.uint64)
    matrix = hamming64(a[:, None], b[None, :])
    assert matrix.shape == (50, 40)
    for i in (0, 17, 49):
        for j in (0, 39):
            assert matrix[i, j] == bin(int(a[i]) ^ int(b[j])).count("1")
    assert int(hamming64(np.uint64(0), np.uint64(2**64 - 1))) == 64


def test_hamming256_broadcasts_and_accepts_bytes() -> None:
    rng = np.random.default_rng(8)
    a = rng.integers(0, 256, size=(30, 32), dtype=np.uint8)
    b = rng.integers(0, 256, size=(20, 32), dtype=np.uint8)
    matrix = hamming256(a[:, None, :], b[None, :, :])
    assert matrix.shape == (30, 20)
    expected = int(np.unpackbits(a[3] ^ b[5]).sum())
    assert matrix[3, 5] == expected
    assert int(hamming256(a[3].tobytes(), b[5].tobytes())) == expected
    assert int(hamming256(np.zeros(32, np.uint8), np.full(32, 255, np.uint8))) == 256
    with pytest.raises(ValueError):
        hamming256(np.zeros(16, np.uint8), np.zeros(16, np.uint8))


def test_hamming_fallback_without_bitwise_count(monkeypatch: pytest.MonkeyPatch) -> None:
    import verifier.hashing.frames as frames

    rng = np.random.default_rng(9)
    a = rng.integers(0, 2**63, size=20, dtype=np.uint64)
    b = rng.integers(0, 2**63, size=20, dtype=np.uint64)
    p = rng.integers(0, 256, size=(20, 32), dtype=np.uint8)
    q = rng.integers(0, 256, size=(20, 32), dtype=np.uint8)
    fast64, fast256 = frames.hamming64(a, b), frames.hamming256(p, q)
    monkeypatch.setattr(frames, "_HAS_BITWISE_COUNT", False)
    assert np.array_equal(frames.hamming64(a, b), fast64)
    assert np.array_equal(frames.hamming256(p, q), fast256)


# --------------------------------------------------------------------------- FrameHashes


def sample_hashes(n: int = 5) -> FrameHashes:
    rng = np.random.default_rng(11)
    return FrameHashes(
        index=np.arange(0, 3 * n, 3, dtype=np.int32),
        pts=np.arange(n, dtype=np.int64) * 1536,
        seconds=np.arange(n, dtype=np.float64) * 0.1,
        phash=rng.integers(0, 2**63, size=n, dtype=np.uint64) | np.uint64(1 << 63),
        pdq=rng.integers(0, 256, size=(n, 32), dtype=np.uint8),
        quality=rng.integers(0, 101, size=n, dtype=np.uint8),
        low_info=np.array([i % 2 == 0 for i in range(n)]),
        time_base="1/15360",
        sample_rate=10.0,
    )


def test_frame_hashes_round_trip_exactly() -> None:
    hashes = sample_hashes()
    blob = hashes.to_bytes()
    back = FrameHashes.from_bytes(blob)
    assert back == hashes
    assert len(back) == 5
    for name in ("index", "pts", "seconds", "phash", "pdq", "quality", "low_info"):
        assert getattr(back, name).dtype == getattr(hashes, name).dtype
        assert getattr(back, name).tobytes() == getattr(hashes, name).tobytes()
    assert back.time_base == "1/15360" and back.sample_rate == 10.0


def test_empty_frame_hashes_round_trip() -> None:
    empty = FrameHashes(time_base="1/90000", sample_rate=2.0)
    assert len(empty) == 0 and empty.pdq.shape == (0, 32)
    assert FrameHashes.from_bytes(empty.to_bytes()) == empty


def test_frame_hashes_reject_mismatched_arrays() -> None:
    good = sample_hashes()
    with pytest.raises(ValueError):
        FrameHashes(
            index=good.index,
            pts=good.pts[:-1],
            seconds=good.seconds,
            phash=good.phash,
            pdq=good.pdq,
            quality=good.quality,
            low_info=good.low_info,
        )
    with pytest.raises(ValueError):
        FrameHashes(
            index=good.index,
            pts=good.pts,
            seconds=good.seconds,
            phash=good.phash,
            pdq=good.pdq[:, :16],
            quality=good.quality,
            low_info=good.low_info,
        )


def test_frame_hashes_detect_other_versions_and_garbage() -> None:
    blob = sample_hashes().to_bytes()
    with np.load(io.BytesIO(blob)) as npz:
        arrays = {k: npz[k] for k in npz.files}
    header = str(arrays["header"][()]).replace(
        f'"version": {FRAME_HASHES_VERSION}', f'"version": {FRAME_HASHES_VERSION + 1}'
    )
    arrays["header"] = np.array(header)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    with pytest.raises(VerifierError, match="version"):
        FrameHashes.from_bytes(buffer.getvalue())
    with pytest.raises(VerifierError):
        FrameHashes.from_bytes(b"not an npz blob")
