"""The frame viewer: exact stepping with the project's decoder.

The decoder lives on the viewer's own task lane (one thread, in order), so
stepping never blocks the window and the decoder is never used from two
threads. Requests are ``latest_only``: holding an arrow key shows frames as
fast as they decode and ends exactly on the last frame asked for.

What is shown is always identified: frame number, presentation timestamp
(raw pts and time base), clip time and timecode. Enhancement and the
wellbeing blur change only the displayed copy; evidence is never written.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QImage, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from verifier.gui import resources
from verifier.gui.canvas import Box, FrameCanvas
from verifier.gui.imaging import qimage_from_rgb
from verifier.gui.resources import Icon
from verifier.gui.sound import SoundPlayer
from verifier.gui.tasks import TaskContext, TaskRunner
from verifier.gui.timeline import Timeline, TimelineLegend
from verifier.media.enhance import Enhancement, apply_enhancement, wellbeing_filter
from verifier.services.annotations import Shape
from verifier.services.context import App
from verifier.services.viewing import (
    ClipView,
    FrameSource,
    format_seconds,
    load_clip_view,
    open_frame_source,
)

_lane_ids = itertools.count(1)

#: The shapes offered in annotate mode: kind -> (menu text, button text, key).
ANNOTATE_SHAPES = {
    "rect": ("Rectangle (drag)", "▭ Annotate", "1"),
    "point": ("Point (click)", "• Annotate", "2"),
    "line": ("Line: shadow, horizon, road (click vertices, Enter)", "╱ Annotate", "3"),
    "polygon": ("Polygon: an area (click corners, Enter)", "⬠ Annotate", "4"),
}


@dataclass(frozen=True)
class ShownFrame:
    """A frame as displayed: its identity, the decoded pixels and the image shown."""

    index: int
    pts: int | None
    seconds: float
    raw: np.ndarray  # as decoded, at display size, before enhancement (read-only)
    image: QImage  # what is on screen (enhanced and/or veiled)
    frame_size: QSize  # upright full resolution
    key: bool


@dataclass(frozen=True)
class Look:
    """How frames are displayed: view-only enhancement and the wellbeing veil."""

    enhancement: Enhancement = field(default_factory=Enhancement)
    blur: bool = False
    greyscale: bool = False

    def apply(self, rgb: np.ndarray) -> np.ndarray:
        shown = rgb if self.enhancement.is_identity else apply_enhancement(rgb, self.enhancement)
        if self.blur or self.greyscale:
            shown = wellbeing_filter(shown, blur=self.blur, greyscale=self.greyscale)
        return shown


class FrameViewer(QWidget):
    """Frame canvas, position readout, transport controls and timeline."""

    #: A frame is on screen (its index).
    frameShown = Signal(int)
    #: The user asked for a frame (before it is decoded); linked views follow this.
    indexRequested = Signal(int)
    #: A clip was loaded (its view), or None when cleared.
    clipLoaded = Signal(object)
    #: A rectangle was drawn in annotation mode (frame index, frame-pixel rect).
    rectangleDrawn = Signal(int, QRectF)
    #: Any shape was drawn in annotation mode (frame index, a services ``Shape``).
    shapeDrawn = Signal(int, object)
    #: An annotation box was clicked on the frame.
    annotationClicked = Signal(int)

    def __init__(
        self, app: App, runner: TaskRunner, parent: QWidget | None = None, *, compact: bool = False
    ) -> None:
        super().__init__(parent)
        self.app = app
        self.runner = runner
        self._lane = f"viewer-{next(_lane_ids)}"
        self.view: ClipView | None = None
        self._opening: int | None = None  # the clip last asked for, before its view loads
        self._source: FrameSource | None = None
        self.shown: ShownFrame | None = None
        self._requested: int | None = None  # latest index asked for
        self._look = Look()
        self.revealed = False
        self._veil = (False, False)
        self._boxes: list[dict[str, Any]] = []
        self._selected_box: int | None = None
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(8)
        self._play_timer.timeout.connect(self._play_tick)
        self._play_origin: tuple[float, float] | None = None
        self.sound = SoundPlayer(runner, self)
        self.sound.failed.connect(lambda _message: self.set_sound(False))
        self._mute_by_default = True
        self._sound_allowed = True
        self.sound_on = False

        self.canvas = FrameCanvas(self)
        self.canvas.rectangleDrawn.connect(self._on_rectangle)
        self.canvas.shapeDrawn.connect(self._on_shape)
        self.canvas.drawingStarted.connect(self._on_drawing_started)
        self.canvas.leaveRequested.connect(self.end_annotating)
        self._drawing_on: int | None = None  # the frame a line or polygon is being drawn on
        self.canvas.boxClicked.connect(self.annotationClicked)
        self.canvas.zoomChanged.connect(lambda _z: self._refresh_resolution())
        self.info = QLabel("No clip", self)
        self.info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.info.setObjectName("frameInfo")
        self.timeline = Timeline(self)
        self.timeline.seekRequested.connect(self.go_to)
        # Says, above the picture, when the opened clip's evidence is missing or
        # its bytes no longer match the SHA-256 recorded at import.
        self.banner = QLabel(self)
        self.banner.setObjectName("integrityBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.setStyleSheet(
            "QLabel#integrityBanner { background: #c0392b; color: white; padding: 6px; }"
        )
        self.banner.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.banner)
        layout.addWidget(self.canvas, 1)
        layout.addWidget(self.info)
        self.controls = self._make_controls()
        layout.addLayout(self.controls)
        layout.addWidget(self.timeline)
        self.legend = TimelineLegend(self)
        layout.addWidget(self.legend)
        self._compact = compact
        if compact:
            self.timeline.hide()
            self.legend.hide()
        self._make_shortcuts()
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(150)
        self._resize_timer.timeout.connect(self._refresh_resolution)

    # ------------------------------------------------------------ controls

    def _button(self, icon: Icon | None, text: str, tip: str, slot: Any) -> QToolButton:
        button = QToolButton(self)
        if icon is not None:
            button.setIcon(resources.icon(icon))
        else:
            button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        return button

    def _make_controls(self) -> QHBoxLayout:
        row = QHBoxLayout()
        row.setSpacing(2)
        self.play_button = self._button(Icon.PLAY, "", "Play / pause (Space)", self.toggle_play)
        buttons = [
            self._button(Icon.FIRST_FRAME, "", "First frame (Home)", self.first),
            self._button(
                Icon.PREVIOUS_MARK, "", "Previous shot thumbnail or cut (Page Up)",
                self.previous_mark,
            ),
            self._button(
                Icon.SECOND_BACK, "", "One second back (Shift+Left)",
                lambda: self.step_seconds(-1),
            ),
            self._button(Icon.STEP_BACK, "", "One frame back (Left)", lambda: self.step(-1)),
            self.play_button,
            self._button(
                Icon.STEP_FORWARD, "", "One frame forward (Right)", lambda: self.step(1)
            ),
            self._button(
                Icon.SECOND_FORWARD, "", "One second forward (Shift+Right)",
                lambda: self.step_seconds(1),
            ),
            self._button(
                Icon.NEXT_MARK, "", "Next shot thumbnail or cut (Page Down)", self.next_mark
            ),
            self._button(Icon.LAST_FRAME, "", "Last frame (End)", self.last),
        ]  # fmt: skip
        #: Buttons that move in time: they do nothing on a still, so they are disabled there.
        self.transport_buttons = buttons
        for button in buttons:
            button.setEnabled(False)  # until a clip with more than one frame opens
        for button in buttons:
            row.addWidget(button)
        self.sound_button = self._button(None, "", "", lambda: self.set_sound(not self.sound_on))
        self.sound_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.sound_button.setCheckable(True)
        row.addWidget(self.sound_button)
        self._show_sound_state()
        row.addStretch(1)
        self.annotate_button = self._button(
            None, "▭ Annotate", "", self._sync_draw_mode,
        )  # fmt: skip
        self.annotate_button.setCheckable(True)
        self._make_shape_menu()
        self.loupe_button = self._button(
            None, "Loupe", "Magnifier under the mouse (L)", self._sync_loupe
        )
        self.loupe_button.setCheckable(True)
        self.fit_button = self._button(
            None, "Fit", "Fit the frame in the window (0)", self.canvas.fit
        )
        self.reveal_button = self._button(
            None, "Reveal", "Show the footage unblurred (R); this case veils graphic footage",
            self.toggle_reveal,
        )  # fmt: skip
        self.reveal_button.setCheckable(True)
        self.reveal_button.hide()
        for button in (
            self.annotate_button,
            self.loupe_button,
            self.fit_button,
            self.reveal_button,
        ):
            row.addWidget(button)
        return row

    def _make_shape_menu(self) -> None:
        """The shape to draw: the annotate button's menu, and keys 1-4."""
        menu = QMenu(self.annotate_button)
        self.shape_actions: dict[str, QAction] = {}
        group = QActionGroup(menu)
        for kind, (text, _button, key) in ANNOTATE_SHAPES.items():
            action = QAction(text, menu, checkable=True)
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.triggered.connect(lambda _c=False, k=kind: self.start_annotating(k))
            group.addAction(action)
            menu.addAction(action)
            self.addAction(action)  # the key works while the viewer has focus
            self.shape_actions[kind] = action
        self.shape_actions["rect"].setChecked(True)
        self.annotate_button.setMenu(menu)
        self.annotate_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self._show_draw_shape()

    @property
    def draw_shape(self) -> str:
        return self.canvas.draw_shape

    def start_annotating(self, shape: str | None = None) -> None:
        """Annotate mode on, drawing ``shape`` (rect, point, line, polygon) or the last one."""
        if shape is not None:
            self.canvas.set_draw_shape(shape)
            self.shape_actions[shape].setChecked(True)
            self._show_draw_shape()
        self.annotate_button.setChecked(True)
        self._sync_draw_mode()

    def end_annotating(self) -> None:
        """Annotate mode off: clicks pan and select again, keys step frames."""
        self.annotate_button.setChecked(False)
        self._sync_draw_mode()

    def _show_draw_shape(self) -> None:
        kind = self.canvas.draw_shape
        self.annotate_button.setText(ANNOTATE_SHAPES[kind][1])
        self.annotate_button.setToolTip(
            f"Annotate mode (A): draw a {'rectangle' if kind == 'rect' else kind} on the frame. "
            "The arrow chooses the shape: 1 rectangle, 2 point, 3 line, 4 polygon."
        )

    def _on_drawing_started(self) -> None:
        self._drawing_on = self.shown.index if self.shown is not None else None

    def _make_shortcuts(self) -> None:
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        bindings: list[tuple[Any, Any]] = [
            (Qt.Key.Key_Right, lambda: self.step(1)),
            (Qt.Key.Key_Left, lambda: self.step(-1)),
            (QKeySequence("Shift+Right"), lambda: self.step_seconds(1)),
            (QKeySequence("Shift+Left"), lambda: self.step_seconds(-1)),
            (Qt.Key.Key_PageDown, self.next_mark),
            (Qt.Key.Key_PageUp, self.previous_mark),
            (Qt.Key.Key_Home, self.first),
            (Qt.Key.Key_End, self.last),
            (Qt.Key.Key_Space, self.toggle_play),
            (Qt.Key.Key_A, self.annotate_button.toggle),
            (Qt.Key.Key_L, self.loupe_button.toggle),
            (Qt.Key.Key_0, self.canvas.fit),
            (Qt.Key.Key_R, self.toggle_reveal),
            (Qt.Key.Key_M, lambda: self.set_sound(not self.sound_on)),
        ]
        self._shortcuts = []
        for key, slot in bindings:
            sequence = key if isinstance(key, QKeySequence) else QKeySequence(key)
            shortcut = QShortcut(sequence, self, context=context)
            shortcut.setAutoRepeat(True)
            shortcut.activated.connect(slot)
            self._shortcuts.append(shortcut)
        self.annotate_button.toggled.connect(lambda _c: self._sync_draw_mode())
        self.loupe_button.toggled.connect(lambda _c: self._sync_loupe())

    def _sync_draw_mode(self) -> None:
        if self.canvas.draw_mode != self.annotate_button.isChecked():
            self.canvas.draw_mode = self.annotate_button.isChecked()
        cursor = Qt.CursorShape.CrossCursor if self.canvas.draw_mode else Qt.CursorShape.ArrowCursor
        self.canvas.setCursor(cursor)

    def _sync_loupe(self) -> None:
        self.canvas.loupe = self.loupe_button.isChecked()
        self._refresh_resolution()

    # ---------------------------------------------------------- clip loading

    def show_integrity(self, clip_id: int | None, messages: list[str] | tuple[str, ...]) -> None:
        """Show (or hide, with no messages) the banner about the clip's stored files.

        Ignored when another clip has been opened since the check started.
        """
        if clip_id != self._opening:
            return
        if not messages:
            self.banner.hide()
            self.banner.clear()
            return
        self.banner.setText(
            "Evidence integrity problem: "
            + " ".join(messages)
            + " Run Case ▸ Verify evidence for the full check."
        )
        self.banner.show()

    def open_clip(self, clip_id: int | None, at: int = 0) -> None:
        """Load a clip (in the background) and show frame ``at``."""
        self._opening = clip_id
        self.banner.hide()
        self.banner.clear()
        self.pause()
        self._close_source()
        if clip_id is None:
            self._set_view(None)
            return
        self.canvas.placeholder = "Opening…"
        self.canvas.set_frame(None, QSize(0, 0))
        self.runner.run(
            lambda ctx: load_clip_view(self.app, clip_id),
            on_done=lambda view: self._set_view(view, at),
        )

    def set_view(self, view: ClipView, at: int = 0) -> None:
        """Show an already loaded clip view."""
        self.pause()
        self._close_source()
        self._set_view(view, at)

    def _set_view(self, view: ClipView | None, at: int = 0) -> None:
        self.sound.stop()
        self.view = view
        # Revealing is for the clip it was asked on: every opening is veiled again.
        self._set_revealed(False)
        # Every clip opens with the case's sound setting (muted unless the case says not).
        self.sound_on = self._has_sound() and self._sound_allowed and not self._mute_by_default
        self._show_sound_state()
        self.shown = None
        self._requested = None
        self.timeline.set_view(view)
        moving = view is not None and not view.is_still and view.frame_count > 1
        for button in self.transport_buttons:
            button.setEnabled(moving)
        # A still has no time to show: no timeline, no legend for it.
        show_timeline = not self._compact and not (view is not None and view.is_still)
        self.timeline.setVisible(show_timeline)
        self.legend.setVisible(show_timeline)
        self._boxes = []
        # A shape half drawn on the previous clip belongs to no frame of this one.
        self.canvas.cancel_drawing()
        self._drawing_on = None
        if view is None:
            self.canvas.placeholder = "Choose a clip"
            self.canvas.set_frame(None, QSize(0, 0))
            self.info.setText("No clip")
            self.clipLoaded.emit(None)
            return
        self._source = open_frame_source(view)
        self.canvas.set_frame(None, QSize(view.width, view.height))
        self.clipLoaded.emit(view)
        self.go_to(at)

    def _close_source(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            self.runner.run(lambda ctx: source.close(), lane=self._lane)

    def refresh_marks(self) -> None:
        """Reload the clip's marks (after annotations changed), keeping the frame."""
        if self.view is None:
            return
        clip_id = self.view.clip_id

        def reloaded(view: ClipView) -> None:
            if self.view is not None and self.view.clip_id == clip_id:
                view_source = self._source
                self.view = view
                if view_source is not None:
                    view_source.view = view
                self.timeline._view = view
                self.timeline.update()

        self.runner.run(lambda ctx: load_clip_view(self.app, clip_id), on_done=reloaded)

    # ------------------------------------------------------------ navigation

    @property
    def current_index(self) -> int | None:
        """The index of the frame on screen."""
        return self.shown.index if self.shown else None

    @property
    def target_index(self) -> int:
        """Where navigation starts from: the last frame asked for, else the one shown."""
        if self._requested is not None:
            return self._requested
        return self.shown.index if self.shown else 0

    def go_to(self, index: int) -> None:
        if self.view is None:
            return
        index = self.view.clamp(index)
        self._requested = index
        self.timeline.set_position(index)
        self.indexRequested.emit(index)
        self._request(index)

    def step(self, frames: int) -> None:
        self.go_to(self.target_index + frames)

    def step_seconds(self, seconds: float) -> None:
        if self.view is not None:
            self.go_to(self.view.step_seconds(self.target_index, seconds))

    def next_mark(self) -> None:
        if self.view is not None:
            self.go_to(self.view.next_mark(self.target_index))

    def previous_mark(self) -> None:
        if self.view is not None:
            self.go_to(self.view.previous_mark(self.target_index))

    def first(self) -> None:
        self.go_to(0)

    def last(self) -> None:
        if self.view is not None:
            self.go_to(self.view.last_index)

    # --------------------------------------------------------------- playback

    @property
    def playing(self) -> bool:
        return self._play_timer.isActive()

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def play(self) -> None:
        view = self.view
        if view is None or view.is_still or view.frame_count < 2:
            return
        start = self.target_index
        if start >= view.last_index:
            start = 0
            self.go_to(0)
        self._play_origin = (time.monotonic(), view.seconds_of(start))
        self._play_timer.start()
        if self.sound_on:
            self.sound.start(view.path, view.container_seconds(start))
        self.play_button.setIcon(resources.icon(Icon.PAUSE))

    def pause(self) -> None:
        self.sound.stop()
        if self._play_timer.isActive():
            self._play_timer.stop()
        self.play_button.setIcon(resources.icon(Icon.PLAY))

    def _play_tick(self) -> None:
        view = self.view
        if view is None or self._play_origin is None:
            self.pause()
            return
        if self.runner.lane_busy(self._lane):
            return  # still decoding: drop frames rather than queue them
        target = view.index_at(self._play_clock(self._play_origin))
        if target != self.target_index:
            self.go_to(target)
        if target >= view.last_index:
            self.pause()

    @staticmethod
    def _play_clock(play_origin: tuple[float, float]) -> float:
        """The clip time play has reached: where it started plus the time since."""
        started, origin = play_origin
        return origin + time.monotonic() - started

    # ------------------------------------------------------------------ sound

    def _has_sound(self) -> bool:
        return self.view is not None and self.view.has_audio and not self.view.is_still

    def set_sound_default(self, muted: bool) -> None:
        """The case's setting: clips open muted (the default) or with sound on."""
        self._mute_by_default = muted
        self.set_sound(self._has_sound() and not muted)

    def set_sound_allowed(self, allowed: bool) -> None:
        """Whether this viewer may play sound (a linked comparison's B may not)."""
        self._sound_allowed = allowed
        if not allowed:
            self.set_sound(False)
        self._show_sound_state()

    def set_sound(self, on: bool) -> None:
        """Sound on or off for this clip; while playing, it starts or stops at once."""
        on = on and self._has_sound() and self._sound_allowed
        if on == self.sound_on:
            self._show_sound_state()
            return
        self.sound_on = on
        self._show_sound_state()
        view = self.view
        if not on:
            self.sound.stop()
        elif self.playing and view is not None and self._play_origin is not None:
            clip_seconds = self._play_clock(self._play_origin)
            self.sound.start(view.path, view.container_seconds(0) + clip_seconds)

    def _show_sound_state(self) -> None:
        button = self.sound_button
        has_sound = self._has_sound()
        button.setEnabled(has_sound and self._sound_allowed)
        button.setChecked(self.sound_on)
        button.setIcon(resources.icon(Icon.SOUND_ON if self.sound_on else Icon.SOUND_MUTED))
        button.setText("Sound on" if self.sound_on else "Muted")
        if self.view is not None and not has_sound:
            tip = "This clip has no sound track"
        elif self._mute_by_default:
            tip = "Sound plays with the video when on (M); this case opens clips muted"
        else:
            tip = "Sound plays with the video when on (M)"
        button.setToolTip(tip)

    # ------------------------------------------------------------ decoding

    def set_look(self, look: Look) -> None:
        self._look = look
        self._redisplay()

    @property
    def look(self) -> Look:
        return self._look

    def set_veil(self, blur: bool, greyscale: bool) -> None:
        """The case's wellbeing setting: veil footage until revealed."""
        self._veil = (blur, greyscale)
        self._set_revealed(False)
        self.reveal_button.setVisible(blur or greyscale)
        self._redisplay()

    def toggle_reveal(self) -> None:
        """Reveal (or veil again) the open clip only; the next clip opened is veiled."""
        if not any(self._veil):
            return
        self._set_revealed(not self.revealed)
        self._redisplay()

    def _set_revealed(self, revealed: bool) -> None:
        """Keep the flag, the button's state and its label saying the same thing."""
        self.revealed = revealed
        self.reveal_button.setChecked(revealed)
        self.reveal_button.setText("Veil" if revealed else "Reveal")

    def _effective_look(self) -> Look:
        blur, grey = self._veil
        if self.revealed:
            blur = grey = False
        return Look(self._look.enhancement, blur or self._look.blur, grey or self._look.greyscale)

    def _redisplay(self) -> None:
        """Show the frame on screen, or the one on its way, with the current look.

        A frame already decoding was made with the look it was asked with; it is
        asked for again so a veil set meanwhile is not lost (see ``_on_frame``).
        """
        if self._requested is not None:
            self._request(self._requested)
        elif self.shown is not None:
            self._request(self.shown.index)

    def _refresh_resolution(self) -> None:
        """Decode again when the display needs more (or fewer) pixels."""
        shown = self.shown
        if shown is None:
            return
        wanted = self.canvas.display_side()
        have = max(shown.raw.shape[:2])
        full = max(shown.frame_size.width(), shown.frame_size.height())
        if (wanted is None and have < full) or (wanted is not None and abs(wanted - have) > 32):
            self._request(shown.index)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self._resize_timer.start()

    def _request(self, index: int) -> None:
        source = self._source
        if source is None:
            return
        max_side = self.canvas.display_side()
        look = self._effective_look()

        def work(ctx: TaskContext) -> ShownFrame:
            rgb, pts, seconds, key = source.frame(index, max_side)
            image = qimage_from_rgb(look.apply(rgb))
            view = source.view
            return ShownFrame(index, pts, seconds, rgb, image, QSize(view.width, view.height), key)

        self.runner.run(
            work,
            on_done=lambda shown: self._on_frame(source, shown, look),
            on_error=lambda exc: self._on_frame_error(source, exc),
            lane=self._lane,
            latest_only=True,
        )

    def _on_frame(self, source: FrameSource, shown: ShownFrame, look: Look) -> None:
        if source is not self._source:
            return  # a frame of the previous clip
        if look != self._effective_look():
            return  # made before the look (or the veil) changed; it is asked for again
        if self._requested is not None and shown.index != self._requested:
            return  # superseded; the newer request is on its way
        self._requested = None
        self.shown = shown
        size = shown.frame_size if shown.frame_size.width() else shown.image.size()
        self.canvas.set_frame(shown.image, size)
        self.timeline.set_position(shown.index)
        self._update_info()
        self._update_boxes()
        if self._drawing_on is not None and self._drawing_on != shown.index:
            # Vertices placed on another frame must not be saved on this one.
            self.canvas.cancel_drawing()
            self._drawing_on = None
        self.frameShown.emit(shown.index)

    def _on_frame_error(self, source: FrameSource, exc: BaseException) -> None:
        if source is not self._source:
            return
        self._requested = None
        self.pause()
        from verifier.gui.tasks import describe_error

        self.runner.show_error(describe_error(exc), "Frame viewer")

    def _update_info(self) -> None:
        view, shown = self.view, self.shown
        if view is None or shown is None:
            return
        if view.is_still:
            self.info.setText(f"Still image  {view.width}×{view.height}")
            return
        pts = f"pts {shown.pts} ({view.time_base})" if shown.pts is not None else "pts –"
        key = "  key frame (I-frame)" if shown.key else ""
        self.info.setText(
            f"Frame {shown.index} / {view.last_index}   {pts}   "
            f"{format_seconds(shown.seconds)}   TC {view.timecode(shown.index)}{key}"
        )

    # ------------------------------------------------------------ annotations

    def set_annotations(
        self, annotations: list[dict[str, Any]], selected: int | None = None
    ) -> None:
        """The clip's annotations (dicts from the annotation service)."""
        self._boxes = list(annotations)
        self._selected_box = selected
        self._update_boxes()

    def _update_boxes(self) -> None:
        index = self.shown.index if self.shown else None
        self.canvas.set_boxes(
            [
                Box(a["id"], QRectF(a["x"], a["y"], a["w"], a["h"]), a["label"],
                    a["id"] == self._selected_box, a.get("shape") or "rect",
                    tuple(QPointF(x, y) for x, y in a.get("points") or ()))
                for a in self._boxes
                if a["frame_index"] == index
            ]
        )  # fmt: skip

    def _on_rectangle(self, rect: QRectF) -> None:
        if self.shown is not None:
            self.rectangleDrawn.emit(self.shown.index, rect)
            shape = Shape.rect(rect.x(), rect.y(), rect.width(), rect.height())
            self.shapeDrawn.emit(self.shown.index, shape)

    def _on_shape(self, kind: str, vertices: list[QPointF]) -> None:
        self._drawing_on = None
        if self.shown is not None:
            shape = Shape.of_vertices(kind, [(p.x(), p.y()) for p in vertices])
            self.shapeDrawn.emit(self.shown.index, shape)

    # ------------------------------------------------------------ export

    def displayed_rgb(self) -> np.ndarray | None:
        """The decoded pixels of the frame on screen (before enhancement)."""
        return self.shown.raw if self.shown else None

    def shutdown(self) -> None:
        """Stop playing and close the decoder; the viewer's lane threads then end."""
        self.pause()
        self.sound.close()
        self._close_source()
        self.runner.close_lane(self._lane)


def frame_file_name(view: ClipView, index: int, enhanced: bool) -> str:
    from verifier.services.keyframes import timestamp_label

    suffix = "_enhanced" if enhanced else ""
    return (
        f"clip{view.clip_id}_{view.sha256[:12]}_{timestamp_label(view.seconds_of(index))}"
        f"_f{index}{suffix}.png"
    )
