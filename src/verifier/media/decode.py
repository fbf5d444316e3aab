"""Frame-accurate video decoding: the one decoder interface of Verifier.

Two very different users share this module:

* clip analysis makes one sequential pass over every frame and needs speed
  (:meth:`VideoDecoder.iter_frames`, threaded decoding, no conversion unless
  asked);
* the frame stepper of the GUI needs exact random access, stepping forwards
  and backwards (:meth:`VideoDecoder.frame`, :meth:`VideoDecoder.next`,
  :meth:`VideoDecoder.prev`), backed by a byte-bounded cache. Its cost is
  the decode from the keyframe before a target; frames only passed over on
  the way are never converted, and their non-reference pictures are not
  decoded at all (see :class:`VideoDecoder`, "Random access").

Frames are identified by their position in presentation order (``index``) and
by their raw presentation timestamp (``pts`` in the stream's ``time_base``).
Float seconds are never used to find a frame: a time is converted to a pts
with exact :class:`~fractions.Fraction` arithmetic and compared as integers.

Presentation order is the order in which the decoder outputs frames, which is
the order ``ffprobe -show_frames`` lists them and, for every well-formed
stream, the order of increasing pts. Broken files (box.mp4 in the shared
media, packed-bitstream AVI) can output frames whose pts are not increasing;
we keep the decoder's order there, as a player shows the frames one after the
other, rather than reordering by a timestamp we already know to be wrong.

A decoder is not thread-safe: use one per thread (the GUI keeps one for its
stepper in a worker; analysis opens its own).
"""

from __future__ import annotations

import bisect
import contextlib
import math
import operator
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import av.logging
import cv2
import numpy as np
from av.video.reformatter import VideoReformatter

from verifier.errors import VerifierError
from verifier.progress import CancelToken

__all__ = ["DecodedFrame", "DecoderStats", "FrameInfo", "VideoDecoder"]

#: How many problem messages a decoder keeps; a damaged file can produce one
#: per packet, and a report needs the gist, not ten thousand lines.
MAX_ERRORS = 50

#: How many frames a forward decode may run past a keyframe without seeking.
#: Used only when keyframe positions are unknown; decoding ~30 frames of
#: 1080p H.264 costs about as much as a seek plus a keyframe decode.
_FORWARD_WITHOUT_SEEK = 30

#: How many frames before the target a jump (any miss that is not a step back)
#: decodes fully and caches, so that the first steps back are cache hits.
#: Frames before them are passed over with non-reference pictures skipped.
_SEEK_KEEP_BEHIND = 30

#: How many times a seek that landed after its target is retried further back
#: before we give up on seeking and decode from the start.
_MAX_SEEK_RETRIES = 6


@dataclass(frozen=True)
class FrameInfo:
    """Identity of one frame: its presentation index and exact timestamp."""

    index: int
    pts: int
    time_base: Fraction
    key: bool
    #: pts of frame 0, so that ``seconds`` is clip-relative.
    start_pts: int = 0

    @property
    def seconds(self) -> Fraction:
        """Clip-relative presentation time, exact; 0 for frame 0."""
        return (self.pts - self.start_pts) * self.time_base


_local = threading.local()


def _reformatter() -> VideoReformatter:
    """This thread's scaler: reusing it keeps swscale's setup between frames.

    ``VideoFrame.reformat`` builds and initialises a new scaler per call,
    up to 1 ms of a 3-4 ms 1080p-to-720p conversion. The output is the same
    (tested); a scaler must not be used by two threads at once, hence one
    per thread.
    """
    reformatter = getattr(_local, "reformatter", None)
    if reformatter is None:
        reformatter = _local.reformatter = VideoReformatter()
    return reformatter


def _frame_nbytes(frame: av.VideoFrame) -> int:
    return sum(plane.buffer_size for plane in frame.planes)


class DecodedFrame:
    """A decoded frame with lazy, cached conversions.

    It keeps the decoder's own :class:`av.VideoFrame` (YUV 4:2:0 for most
    footage: 3 MB at 1080p, half of RGB) and converts only when asked. The
    last two conversions are kept, because the GUI asks for the same display
    size repeatedly and analysis asks for one thumbnail size; more would let
    one frame quietly grow past the cache budget.
    """

    __slots__ = ("_av", "_conversions", "_rotation", "info")

    def __init__(self, frame: av.VideoFrame, info: FrameInfo, rotation: int) -> None:
        self._av = frame
        self.info = info
        self._rotation = rotation
        self._conversions: OrderedDict[tuple[object, ...], np.ndarray] = OrderedDict()

    @property
    def av_frame(self) -> av.VideoFrame:
        """The underlying PyAV frame (coded orientation, decoder pixel format)."""
        return self._av

    @property
    def nbytes(self) -> int:
        """Memory held: the frame's planes plus cached conversions."""
        return _frame_nbytes(self._av) + sum(a.nbytes for a in self._conversions.values())

    def _cached(self, key: tuple[object, ...]) -> np.ndarray | None:
        array = self._conversions.get(key)
        if array is not None:
            self._conversions.move_to_end(key)
        return array

    def _store(self, key: tuple[object, ...], array: np.ndarray) -> np.ndarray:
        array.setflags(write=False)  # shared by every caller: nobody may draw on it
        self._conversions[key] = array
        while len(self._conversions) > 2:
            self._conversions.popitem(last=False)
        return array

    def _upright(self, array: np.ndarray) -> np.ndarray:
        # np.rot90 with k=1 turns counter-clockwise; ``rotation`` is clockwise.
        k = (-self._rotation // 90) % 4
        return np.ascontiguousarray(np.rot90(array, k)) if k else array

    def rgb(self, max_side: int | None = None) -> np.ndarray:
        """Upright HxWx3 uint8 RGB, optionally downscaled to ``max_side``.

        Scaling is done by swscale on the YUV frame before conversion, which
        is several times faster than converting at full size and resizing.
        The array is read-only because it is cached and shared.
        """
        key: tuple[object, ...] = ("rgb", max_side)
        cached = self._cached(key)
        if cached is not None:
            return cached
        width, height = self._av.width, self._av.height
        if max_side is not None and max_side < max(width, height):
            if max_side < 1:
                raise ValueError("max_side must be positive")
            scale = max_side / max(width, height)
            width = max(1, round(width * scale))
            height = max(1, round(height * scale))
            frame = _reformatter().reformat(
                self._av, width=width, height=height, format="rgb24", interpolation="AREA"
            )
        else:
            frame = _reformatter().reformat(self._av, format="rgb24")
        return self._store(key, self._upright(frame.to_ndarray()))

    def gray(self, width: int, height: int) -> np.ndarray:
        """Upright grayscale (``height`` x ``width`` uint8) for analysis.

        ``width`` and ``height`` are in the upright orientation; for a frame
        turned by 90 or 270 degrees they are swapped before scaling.
        """
        key: tuple[object, ...] = ("gray", width, height)
        cached = self._cached(key)
        if cached is not None:
            return cached
        coded_w, coded_h = (height, width) if self._rotation in (90, 270) else (width, height)
        luma = _luma_plane(self._av)
        if luma is None:
            small = (
                _reformatter()
                .reformat(self._av, width=coded_w, height=coded_h, format="gray")
                .to_ndarray()
            )
        else:
            # Area-averaging the luma plane directly is ~10x cheaper than an
            # extreme swscale downscale, and this runs on every frame.
            # Sampling every k-th pixel first keeps INTER_AREA on a small image
            # (it is slow on large non-integer ratios); the area average that
            # follows still spans several sampled pixels per output pixel.
            step = max(1, min(luma.shape[0] // (4 * coded_h), luma.shape[1] // (4 * coded_w)))
            if step > 1:
                luma = luma[::step, ::step]
            small = cv2.resize(luma, (coded_w, coded_h), interpolation=cv2.INTER_AREA)
            limited = self._av.format.name not in _FULL_RANGE_FORMATS
            if limited and self._av.color_range != _FULL_RANGE:
                small = cv2.convertScaleAbs(small, alpha=255 / 219, beta=-16 * 255 / 219)
        return self._store(key, self._upright(small))


#: 8-bit pixel formats whose first plane is the luma (Y) plane, full width and height.
_LUMA_FORMATS = frozenset(
    {
        "yuv420p",
        "yuvj420p",
        "yuv422p",
        "yuvj422p",
        "yuv444p",
        "yuvj444p",
        "yuv440p",
        "yuvj440p",
        "yuv411p",
        "yuv410p",
        "nv12",
        "nv21",
        "nv16",
        "gray",
    }
)
_FULL_RANGE_FORMATS = frozenset({"yuvj420p", "yuvj422p", "yuvj444p", "yuvj440p", "gray"})
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG


def _luma_plane(frame: av.VideoFrame) -> np.ndarray | None:
    """The Y plane as a (height, width) uint8 view, or None for other formats."""
    if frame.format.name not in _LUMA_FORMATS:
        return None
    plane = frame.planes[0]
    rows = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)
    return rows[: frame.height, : frame.width]


@dataclass
class DecoderStats:
    """Counters that show what random access cost; tests and benchmarks read them.

    ``decoded`` counts frames the decoder output; non-reference pictures that
    were skipped while passing over frames are not decoded and not counted.
    """

    seeks: int = 0
    decoded: int = 0
    cache_hits: int = 0
    cache_misses: int = 0
    restarts: int = 0


class _FrameCache:
    """LRU of decoded frames keyed by index, bounded by bytes.

    Sizes are re-measured when an entry is used, because a frame grows when a
    conversion is cached on it. The most recent frame is never evicted, so a
    budget smaller than one frame still works (it just caches one frame).
    """

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self._entries: OrderedDict[int, DecodedFrame] = OrderedDict()
        self._sizes: dict[int, int] = {}
        self.total = 0

    def __contains__(self, index: int) -> bool:
        return index in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, index: int) -> DecodedFrame | None:
        frame = self._entries.get(index)
        if frame is not None:
            self._entries.move_to_end(index)
            self._remeasure(index, frame)
        return frame

    def put(self, frame: DecodedFrame) -> None:
        index = frame.info.index
        self._entries[index] = frame
        self._entries.move_to_end(index)
        self._remeasure(index, frame)
        self._evict()

    def touch(self, index: int) -> None:
        """Re-measure an entry after its caller cached a conversion on it."""
        frame = self._entries.get(index)
        if frame is not None:
            self._remeasure(index, frame)
            self._evict()

    def clear(self) -> None:
        self._entries.clear()
        self._sizes.clear()
        self.total = 0

    def _remeasure(self, index: int, frame: DecodedFrame) -> None:
        size = frame.nbytes
        self.total += size - self._sizes.get(index, 0)
        self._sizes[index] = size

    def _evict(self) -> None:
        while self.total > self.budget and len(self._entries) > 1:
            index, _ = self._entries.popitem(last=False)
            self.total -= self._sizes.pop(index)


class _PtsIndex:
    """The presentation-order list of pts, with the reverse lookup.

    Broken files can repeat a pts; the reverse map then holds every index of
    that pts, and the decoder picks the first one after the last placed frame.
    """

    def __init__(self, pts: Sequence[int], keys: Sequence[int] = (), exact: bool = False) -> None:
        # Plain ints: a stored frame index arrives as NumPy int64 values, which
        # PyAV's seek refuses (and which would leak into every pts handed out).
        self.pts = [int(p) for p in pts]
        self.exact = exact
        self.keys = sorted(int(k) for k in keys)  # indices of keyframes, when known
        self.positions: dict[int, list[int]] = {}
        for i, value in enumerate(self.pts):
            self.positions.setdefault(value, []).append(i)
        self.monotonic = all(a < b for a, b in zip(self.pts, self.pts[1:], strict=False))

    def locate(self, pts: int, after: int) -> int | None:
        """Index of ``pts``: the first one greater than ``after``, else the first."""
        indices = self.positions.get(pts)
        if not indices:
            return None
        for i in indices:
            if i > after:
                return i
        return indices[0]

    def locate_keyframe(self, pts: int) -> int | None:
        """Index of the keyframe with ``pts``: where a seek landed.

        With repeated pts the keyframe is the one listed as a keyframe, not
        necessarily the first of the repeats.
        """
        indices = self.positions.get(pts)
        if not indices:
            return None
        keys = self.keys
        return next((i for i in indices if _contains_sorted(keys, i)), indices[0])

    def keyframe_at_or_before(self, index: int) -> int | None:
        if not self.keys:
            return None
        pos = bisect.bisect_right(self.keys, index) - 1
        return self.keys[pos] if pos >= 0 else None


class VideoDecoder:
    """Exact access to the frames of one video stream; a context manager.

    Opening decodes the first frame (it carries the display rotation, which
    PyAV 18 exposes only on frames, and the GUI shows it first anyway). The
    presentation-order pts index is either given (``index``, from an earlier
    pass, so opening is instant), built lazily on first random access by
    demuxing packets without decoding, or recorded exactly by
    :meth:`iter_frames`.

    Index tradeoff: the packet index is fast (no decoding) but trusts the
    container; a packet that decodes to nothing leaves a phantom entry, and a
    broken file can output frames out of pts order. When random access sees
    the decoder disagree with the packet index, it records the problem and
    runs one full decode pass to get the exact index (indices may then shift
    and the cache is cleared); on well-formed files this never happens.
    Decoding every frame up front would instead cost about a second per
    300 frames of 1080p. A completed :meth:`iter_frames` pass replaces the index with
    the pts the decoder actually produced, which is the ground truth: callers
    that need stable indices (analysis results stored by index) should persist
    that list and pass it back as ``index``.

    Cache: decoded frames are kept as :class:`av.VideoFrame` (YUV; 3 MB per
    1080p frame instead of 6 MB as RGB), so the default 512 MiB budget holds
    about 170 frames at 1080p, more than one 250-frame GOP at 720p and most
    of one at 1080p. Conversions are cached on the frame on top of that and
    counted in the budget.

    Random access: a step forward continues the running decode (with frame
    threads the next frame is usually decoded already). Any other miss seeks
    to the keyframe at or before the target and decodes forward from it, so
    its cost grows with the distance from that keyframe: on 1080p H.264 with
    250-frame GOPs and a 2-core machine (``benchmarks/stepping.py``), about
    20 ms next to a keyframe and 0.5-0.7 s at the end of a GOP. Two things
    keep this down, both exact:

    * frames before the run that will be cached are decoded with
      ``skip_frame = NONREF``: non-reference pictures (B-frames that no
      other frame predicts from) are not decoded at all. Nothing depends on
      them, and every frame that is cached or returned is decoded normally:
      bit-identical to a sequential pass (tested against one). The setting
      is switched per packet by pts (FFmpeg's frame threads copy it when a
      packet is submitted), so it is used only with a monotonic index;
      broken files, and the last-resort decode from the start, decode
      everything. It saves what the non-reference pictures cost: about a
      quarter of the decoding time for x264 with 2 B-frames, nothing for
      streams without B-frames (``skip_nonref=False`` turns it off).
    * the run cached behind a target depends on the move. A jump keeps
      :data:`_SEEK_KEEP_BEHIND` frames, so the first steps back are hits,
      while the frames before them can be skipped through. A miss while
      stepping back (the run behind is used up, or a keyframe was crossed
      backwards, which decodes the whole previous GOP once) keeps three
      quarters of the budget (about 130 frames at 1080p), so the next long
      run of steps back is all hits. The price: stepping back further than
      that run after a jump costs one decode from the keyframe more than
      keeping a long run on every jump would.

    Threads: ``threads=True`` lets FFmpeg pick frame + slice threads and
    their count, ``False`` decodes in the calling thread, a number sets the
    thread count. Frame threads delay the output by a few frames,
    but the benchmark shows no cost in stepping and jumps ~30% faster than
    one thread on 2 cores, so the interactive stepper uses the default too.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        index: Sequence[int] | None = None,
        threads: bool | int = True,
        cache_bytes: int = 512 * 2**20,
        skip_nonref: bool = True,
    ) -> None:
        self.path = Path(path)
        self.errors: list[str] = []
        self._seen_errors: set[str] = set()
        self._errors_dropped = 0
        self.stats = DecoderStats()
        if isinstance(threads, int) and not isinstance(threads, bool) and threads < 1:
            raise ValueError("threads must be True, False or a positive count")
        self._threads = threads
        self._skip_nonref = skip_nonref
        #: While set, packets with a smaller pts are decoded with
        #: ``skip_frame = NONREF`` (see :meth:`_decode_packets`).
        self._skip_before: int | None = None
        self._skipping = False  # the codec context's current skip_frame is NONREF
        self._cache = _FrameCache(cache_bytes)
        self._container: av.container.InputContainer | None = None
        self._live: Iterator[av.VideoFrame] | None = None
        self._live_last = -1  # index of the last frame the live decode placed
        self._live_after_seek = False  # the live decode started at a seek point
        self._packets_fed = 0  # non-empty packets sent to the decoder since a restart
        self._position: int | None = None  # index of the last frame returned
        self._index: _PtsIndex | None = None
        self._container, self._stream = self._open()
        stream = self._stream
        self._stream_index: int = stream.index
        if stream.time_base is None:
            self.close()
            raise VerifierError("the video stream has no time base", path=self.path)
        self.time_base: Fraction = Fraction(stream.time_base)
        ctx = stream.codec_context
        self.coded_width: int = int(ctx.coded_width or ctx.width)
        self.coded_height: int = int(ctx.coded_height or ctx.height)
        rate = stream.average_rate or stream.guessed_rate
        self.frame_rate: Fraction | None = Fraction(rate) if rate else None
        if index is not None:
            self._index = _PtsIndex(index, exact=True)
        first = self._first_frame()
        if first is None:
            self.rotation = 0
            width, height = int(ctx.width), int(ctx.height)
            self.start_pts: int = self._index.pts[0] if self._index and self._index.pts else 0
        else:
            self.rotation = (-int(first.rotation)) % 360 // 90 * 90
            width, height = first.width, first.height
            self.start_pts = (
                self._index.pts[0] if self._index and self._index.pts else self._pts_of(first)
            )
        if self.rotation in (90, 270):
            width, height = height, width
        self.width: int = int(width)
        self.height: int = int(height)
        if first is not None:
            self._place_first(first)

    # ------------------------------------------------------------------ opening

    def _open(self) -> tuple[av.container.InputContainer, av.VideoStream]:
        """Open the container and pick its first video stream, or explain why not."""
        if not self.path.is_file():
            raise VerifierError("no such file", path=self.path)
        try:
            # Probing decodes a few frames: their warnings belong to us too.
            with av.logging.Capture(local=True) as logs:
                container = av.open(str(self.path), mode="r", metadata_errors="replace")
            self._note_logs(logs, "opening")
        except av.error.FFmpegError as exc:
            raise VerifierError(
                f"cannot be opened as video ({_reason(exc)})", path=self.path
            ) from exc
        except (OSError, ValueError) as exc:
            raise VerifierError(f"cannot be opened ({exc})", path=self.path) from exc
        if not container.streams.video:
            container.close()
            raise VerifierError("contains no video stream", path=self.path)
        stream = container.streams.video[0]
        if self._threads is not False:
            # AUTO = frame + slice threads: the fastest sequential decode. It
            # adds a few frames of latency per seek, which is still far below
            # the cost of decoding a GOP single-threaded.
            stream.codec_context.thread_type = "AUTO"
            if self._threads is not True:
                stream.codec_context.thread_count = int(self._threads)
        self._skipping = False  # a new codec context starts at DEFAULT
        return container, stream

    def _first_frame(self) -> av.VideoFrame | None:
        """Decode the first frame the decoder outputs (frame 0), if any."""
        self._live = self._decode_packets()
        self._live_last = -1
        for frame in self._live:
            self.stats.decoded += 1
            return frame
        self._live = None
        self._note("no frame could be decoded")
        return None

    def _place_first(self, frame: av.VideoFrame) -> None:
        pts = self._pts_of(frame)
        if self._index is not None and self._index.locate(pts, -1) != 0:
            # The first decodable frame is not index 0 (leading damage): let
            # random access find its place instead of guessing.
            self._live = None
            return
        self._live_last = 0
        self._cache.put(self._wrap(frame, 0))

    # ------------------------------------------------------------- properties

    @property
    def frame_pts(self) -> list[int]:
        """Presentation-order pts of every frame (built on first use)."""
        return list(self._ensure_index().pts)

    @property
    def frame_count(self) -> int:
        return len(self._ensure_index().pts)

    @property
    def index_exact(self) -> bool:
        """True when the index comes from decoding (given, or a full pass)."""
        return self._ensure_index().exact

    @property
    def keyframe_indices(self) -> list[int]:
        """Indices of keyframes as the container or the last full pass saw them."""
        return list(self._ensure_index().keys)

    @property
    def position(self) -> int | None:
        """Index of the last frame returned by ``frame``/``next``/``prev``."""
        return self._position

    # ------------------------------------------------------------- public API

    def frame(self, index: int) -> DecodedFrame:
        """The exact frame at presentation ``index`` (negative counts from the end).

        Any integer type is accepted (a NumPy index from a stored table too).
        """
        index = operator.index(index)
        count = self.frame_count
        if index < 0:
            index += count
        if not 0 <= index < count:
            raise IndexError(f"frame {index} out of range 0..{count - 1}")
        found = self._cache.get(index)
        if found is not None:
            self.stats.cache_hits += 1
        else:
            self.stats.cache_misses += 1
            found = self._fetch(index)
        self._position = found.info.index
        return found

    def frame_at(self, seconds: float | Fraction) -> DecodedFrame:
        """The frame on screen at clip-relative time ``seconds``."""
        return self.frame(self.index_at(seconds))

    def index_at(self, seconds: float | Fraction | int) -> int:
        """Index of the last frame whose clip-relative time is <= ``seconds``.

        The time is turned into a pts with exact arithmetic (a float is taken
        at its exact binary value and floored) and compared as an integer, so
        a frame starting exactly at ``seconds`` is chosen, not its predecessor.
        Times before the first frame give 0.
        """
        if isinstance(seconds, np.floating):
            seconds = float(seconds)  # Fraction takes Python floats and any integer
        target = self.start_pts + math.floor(Fraction(seconds) / self.time_base)
        idx = self._ensure_index()
        if idx.monotonic:
            return max(0, bisect.bisect_right(idx.pts, target) - 1)
        best = 0
        for i, value in enumerate(idx.pts):
            if value <= target:
                best = i
        return best

    def next(self) -> DecodedFrame | None:
        """The frame after the current one (frame 0 first), or None at the end."""
        target = 0 if self._position is None else self._position + 1
        return self.frame(target) if target < self.frame_count else None

    def prev(self) -> DecodedFrame | None:
        """The frame before the current one, or None at the start."""
        if self._position is None or self._position == 0:
            return None
        return self.frame(self._position - 1)

    def iter_frames(self, cancel: CancelToken | None = None) -> Iterator[DecodedFrame]:
        """Every frame in presentation order, from a fresh sequential decode.

        This is the fast path: threaded decoding, no seeking, no cache, no
        conversion. When the pass completes, the decoder's index is replaced by
        the pts actually decoded (and keyframes as decoded), so random access
        afterwards agrees exactly with this pass. An abandoned pass changes
        nothing. The random-access position is reset (the demuxer moved).
        """
        self._require_open()
        self._restart()
        live = self._live
        assert live is not None
        self._live = None  # random access must not continue from this stream state
        pts_list: list[int] = []
        keys: list[int] = []
        tb, rotation = self.time_base, self.rotation
        start: int | None = None
        index = 0
        for frame in live:
            if cancel is not None:
                cancel.check()
            pts = frame.pts if frame.pts is not None else frame.dts
            if pts is None:
                self._note(f"frame {index} has no timestamp; skipped")
                continue
            if start is None:
                start = pts
            key = bool(frame.key_frame)
            if key:
                keys.append(index)
            pts_list.append(pts)
            yield DecodedFrame(frame, FrameInfo(index, pts, tb, key, start), rotation)
            index += 1
        self.stats.decoded += index
        lost = self._packets_fed - index
        if lost > 0:
            self._note(
                f"{lost} of {self._packets_fed} video packets produced no frame "
                "(damaged or undecodable data)"
            )
        if pts_list:
            decoded = _PtsIndex(pts_list, keys, exact=True)
            if not decoded.monotonic:
                backwards = [i for i in range(1, len(pts_list)) if pts_list[i] <= pts_list[i - 1]]
                self._note(
                    f"frame timestamps are not in increasing order at {len(backwards)} frames "
                    f"(first at frame {backwards[0]}); frames are indexed in decoding order"
                )
            self._adopt_index(decoded)

    def close(self) -> None:
        """Release the file and the decoder; safe to call twice."""
        self._live = None
        self._cache.clear()
        container, self._container = self._container, None
        if container is not None:
            container.close()

    def __enter__(self) -> VideoDecoder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A forgotten decoder must not keep the evidence file open.
        container = getattr(self, "_container", None)
        if container is not None:
            with contextlib.suppress(Exception):  # never raise from a finalizer
                container.close()

    # -------------------------------------------------------------- internals

    def _require_open(self) -> av.container.InputContainer:
        if self._container is None:
            raise VerifierError("the decoder is closed", path=self.path)
        return self._container

    def _note_logs(self, logs: Sequence[tuple[int, str, str]], where: str) -> None:
        for _level, name, message in logs:
            self._note(f"{name or 'ffmpeg'}: {message.strip()} ({where})")

    def _note(self, message: str) -> None:
        """Record a decoding problem once, keeping the list short.

        Re-decoding the same place (after a seek, or reopening) meets the same
        problem again; it is recorded once.
        """
        if message in self._seen_errors:
            return
        self._seen_errors.add(message)
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)
            return
        self._errors_dropped += 1
        summary = f"... and {self._errors_dropped} more problems"
        if self.errors[-1].startswith("... and "):
            self.errors[-1] = summary
        else:
            self.errors.append(summary)

    def _pts_of(self, frame: av.VideoFrame) -> int:
        """The frame's pts, or the packet dts when pts is missing (some AVI)."""
        if frame.pts is not None:
            return int(frame.pts)
        if frame.dts is not None:
            return int(frame.dts)
        return -1

    def _wrap(self, frame: av.VideoFrame, index: int) -> DecodedFrame:
        info = FrameInfo(
            index, self._pts_of(frame), self.time_base, bool(frame.key_frame), self.start_pts
        )
        return DecodedFrame(frame, info, self.rotation)

    def _decode_packets(self) -> Iterator[av.VideoFrame]:
        """Decode from the container's current position, surviving bad packets.

        What we record: packets FFmpeg rejects (``InvalidDataError`` and other
        decoding errors: skipped, decoding goes on), frames flagged corrupt,
        and, in :meth:`iter_frames`, packets that produced no frame.

        FFmpeg's own log messages (e.g. "decode_slice_header error") are
        recorded only if the application switched PyAV's logging on
        (``av.logging.set_level``), and then only those emitted in this
        thread, captured per packet so that they are attributed to this
        decoder alone. We deliberately do not switch logging on: PyAV's log
        callback takes the GIL inside FFmpeg's frame threads, and closing or
        flushing a threaded decoder while holding the GIL then deadlocks
        (seen in this test suite, intermittently).

        While ``_skip_before`` is set (random access passing over frames it
        will not keep), packets whose pts is below it are decoded with
        ``skip_frame = NONREF``; all others with the default.
        """
        container = self._require_open()
        demux = container.demux(self._stream)
        context = self._stream.codec_context
        while True:
            with av.logging.Capture(local=True) as logs:
                try:
                    packet = next(demux)
                except StopIteration:
                    return
                except av.error.FFmpegError as exc:
                    self._note(f"demuxing stopped: {_reason(exc)}")
                    return
                if packet.size and not packet.is_discard:
                    self._packets_fed += 1
                limit = self._skip_before
                skip = limit is not None and packet.pts is not None and packet.pts < limit
                if skip != self._skipping:
                    # Read per packet, also by frame threads (FFmpeg copies
                    # the user context's skip_frame when it submits a packet).
                    context.skip_frame = "NONREF" if skip else "DEFAULT"
                    self._skipping = skip
                try:
                    frames = packet.decode()
                except av.error.InvalidDataError as exc:
                    self._note(f"damaged packet at pts {packet.pts}: {_reason(exc)}")
                    frames = []
                except av.error.EOFError:
                    return
                except av.error.FFmpegError as exc:
                    self._note(f"decoding failed at pts {packet.pts}: {_reason(exc)}")
                    frames = []
            self._note_logs(logs, f"near pts {packet.pts}")
            for frame in frames:
                if frame.is_corrupt:
                    self._note(f"frame at pts {self._pts_of(frame)} decoded with errors")
                yield frame

    def _ensure_index(self) -> _PtsIndex:
        if self._index is None:
            self._index = index = self._packet_index()
            first = self._cache.get(0)
            if index.pts and (first is None or first.info.pts != index.pts[0]):
                # Frame 0 was placed before the index existed and is not the
                # container's first frame (leading damage): start clean.
                self._cache.clear()
                self._live = None
                self._position = None
            if index.pts:
                self.start_pts = index.pts[0]
        return self._index

    def _packet_index(self) -> _PtsIndex:
        """Build the index by demuxing (not decoding) a second handle on the file.

        A separate container keeps the live decoder's position, so stepping
        is not disturbed. Empty and discard-flagged packets decode to no
        frame and are left out.
        """
        self._require_open()  # a closed decoder's stream object is freed memory
        entries: list[tuple[int, bool]] = []
        try:
            with av.open(str(self.path), mode="r", metadata_errors="replace") as container:
                stream = container.streams[self._stream_index]
                for packet in container.demux(stream):
                    if packet.size == 0 or packet.is_discard:
                        continue
                    pts = packet.pts if packet.pts is not None else packet.dts
                    if pts is None:
                        continue
                    entries.append((int(pts), bool(packet.is_keyframe)))
        except av.error.FFmpegError as exc:
            self._note(f"indexing stopped early: {_reason(exc)}")
        entries.sort(key=lambda e: e[0])
        pts = [p for p, _ in entries]
        keys = [i for i, (_, key) in enumerate(entries) if key]
        return _PtsIndex(pts, keys, exact=False)

    def _adopt_index(self, index: _PtsIndex) -> None:
        """Switch to a better index; cached frames keyed by old indices go."""
        old = self._index
        if old is not None and old.pts == index.pts:
            old.exact = old.exact or index.exact
            if index.keys:
                old.keys = index.keys
            return
        self._index = index
        self._cache.clear()
        self._live = None
        self._position = None
        if index.pts:
            self.start_pts = index.pts[0]

    def _restart(self) -> None:
        """Rewind to the very start: reopen, the one seek every format supports."""
        if self._container is not None:
            self._container.close()
        self._container, self._stream = self._open()
        self._skip_before = None  # from the start, every frame is decoded
        self._live = self._decode_packets()
        self._live_last = -1
        self._live_after_seek = False
        self._packets_fed = 0
        self.stats.restarts += 1

    def _seek(self, pts: int) -> None:
        """Seek to the keyframe at or before ``pts`` (stream time base)."""
        container = self._require_open()
        self.stats.seeks += 1
        container.seek(int(pts), stream=self._stream, backward=True, any_frame=False)
        self._live = self._decode_packets()
        self._live_last = -1
        self._live_after_seek = True

    def _should_continue_live(self, target: int) -> bool:
        """Whether decoding forward from the live position beats seeking."""
        if self._live is None or self._live_last < 0 or target <= self._live_last:
            return False
        key = self._ensure_index().keyframe_at_or_before(target)
        if key is not None:
            return key <= self._live_last + 1
        return target - self._live_last <= _FORWARD_WITHOUT_SEEK

    def _fetch(self, target: int) -> DecodedFrame:
        """Decode ``target``; if the packet index proves wrong, index exactly first.

        The packet index can disagree with the decoder on broken files
        (frames output out of pts order, packets that decode to nothing).
        Rather than guess, one full decode pass then establishes the exact
        index (the same one :meth:`iter_frames` records) and ``target`` is
        looked up again in it.
        """
        try:
            return self._fetch_once(target)
        except _IndexMismatch as mismatch:
            self._note(f"the container's frame list disagrees with decoding ({mismatch})")
        for _ in self.iter_frames():
            pass
        count = len(self._ensure_index().pts)
        if count == 0:
            raise VerifierError("no frame could be decoded", path=self.path)
        try:
            return self._fetch_once(min(target, count - 1))
        except _IndexMismatch as exc:  # cannot happen with an exact index
            raise VerifierError(f"frame {target} cannot be decoded", path=self.path) from exc

    def _fetch_once(self, target: int) -> DecodedFrame:
        """Decode ``target`` by continuing, by seeking, or from the start."""
        idx = self._ensure_index()
        # Frames just before the target are kept: a step back is then a hit.
        keep_from = max(0, target - self._keep_behind(target))
        # Frames before those are only passed over: their non-reference
        # pictures need not be decoded at all. Decoding order follows pts
        # order closely enough for a pts threshold only with a monotonic index.
        skip_before = idx.pts[keep_from] if self._skip_nonref and idx.monotonic else None
        try:
            if self._should_continue_live(target):
                self._skip_before = skip_before
                found = self._decode_until(target, keep_from=keep_from)
                if isinstance(found, DecodedFrame):
                    return found
            seek_pts = idx.pts[target]
            back = 1
            for _ in range(_MAX_SEEK_RETRIES):
                try:
                    self._seek(seek_pts)
                except av.error.FFmpegError as exc:
                    self._note(f"seeking failed ({_reason(exc)}); decoding from the start")
                    break
                self._skip_before = skip_before
                result = self._decode_until(target, keep_from=keep_from)
                if isinstance(result, DecodedFrame):
                    return result
                if result is None:
                    break
                # Landed after the target: go back before the keyframe we hit.
                # ``result`` is its dts where the decoder reports one, but
                # HEVC frames report their pts (a CRA frame's leading
                # pictures then kept landing on it): go back a growing
                # number of frames as well, so that every retry gets further.
                earlier = idx.pts[max(0, target - back)] if idx.monotonic else seek_pts
                seek_pts = min(result, earlier, seek_pts) - 1
                back *= 4
            # The last resort decodes every frame, as a sequential pass does.
            self._restart()
            found = self._decode_until(target, keep_from=keep_from)
            if isinstance(found, DecodedFrame):
                return found
        finally:
            self._skip_before = None
        if not idx.exact:
            raise _IndexMismatch(f"frame {target} at pts {idx.pts[target]} did not decode")
        raise VerifierError(f"frame {target} cannot be decoded", path=self.path)

    def _keep_behind(self, target: int) -> int:
        """How many frames before ``target`` to cache when decoding it.

        Stepping back (a miss at most :data:`_SEEK_KEEP_BEHIND` frames before
        the current position: the cached run behind it is used up, or a
        keyframe was crossed backwards) keeps
        three quarters of the budget (at YUV 4:2:0 size), because every
        backward miss re-decodes from a keyframe. Any other miss (a jump) keeps
        only :data:`_SEEK_KEEP_BEHIND` frames: frames before them can then be
        passed over with non-reference pictures skipped, which is what makes a
        jump deep into a long GOP cheaper; a user who steps back further pays
        one more decode from the keyframe, with the long run kept that time.
        """
        per_frame = max(1, self.coded_width * self.coded_height * 3 // 2)
        long_run = max(1, min(250, self._cache.budget * 3 // 4 // per_frame))
        position = self._position
        if position is not None and 0 < position - target <= _SEEK_KEEP_BEHIND:
            return long_run
        return min(long_run, _SEEK_KEEP_BEHIND)

    def _decode_until(self, target: int, keep_from: int) -> DecodedFrame | int | None:
        """Decode forward on the live stream until frame ``target``.

        Returns the frame when found. Returns an ``int`` when the first
        keyframe reached after a seek is already past the target: a timestamp
        that the caller seeks strictly before (the keyframe's dts as the
        decoder reports it, because demuxers seek by dts and with B-frames a
        keyframe's dts precedes its pts; capped at the target's pts).
        Returns None when the stream ended or the target was passed without
        being seen (unreliable seeking, or a frame that does not decode).
        Frames from ``keep_from`` on are cached as they pass.
        """
        idx = self._ensure_index()
        live = self._live
        if live is None:
            return None
        after_seek = self._live_last < 0 and self._live_after_seek
        accepting = not after_seek
        for frame in live:
            self.stats.decoded += 1
            if not accepting:
                # After a seek, frames before the first keyframe (open-GOP
                # leading pictures) may be built on missing references and
                # differ from a sequential decode: never cache them.
                if not frame.key_frame:
                    continue
                accepting = True
                pts = self._pts_of(frame)
                position = idx.locate_keyframe(pts)
                if position is not None and position > target:
                    self._live = None
                    stamp = frame.dts if frame.dts is not None else pts
                    return min(int(stamp), idx.pts[target])
                if position is not None:
                    self._live_last = position - 1
            pts = self._pts_of(frame)
            position = idx.locate(pts, self._live_last)
            if position is None or position <= self._live_last:
                if idx.exact:
                    continue  # a frame the full pass did not yield either: not ours
                self._live = None
                raise _IndexMismatch(f"decoded pts {pts} out of the container's order")
            self._live_last = position
            if position > target:
                self._live = None
                return None
            if position >= keep_from or position == target:
                decoded = self._wrap(frame, position)
                self._cache.put(decoded)
                if position == target:
                    return decoded
        self._live = None
        return None


class _IndexMismatch(Exception):
    """The packet index does not describe what the decoder outputs."""


def _contains_sorted(values: Sequence[int], value: int) -> bool:
    pos = bisect.bisect_left(values, value)
    return pos < len(values) and values[pos] == value


def _reason(exc: BaseException) -> str:
    """A short human reason from an FFmpeg error (its strerror, not the repr)."""
    text = getattr(exc, "strerror", None) or str(exc)
    return str(text).strip() or type(exc).__name__
