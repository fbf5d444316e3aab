"""The Geolocation tab: where the open clip was filmed, the evidence, and the map links.

A clip can carry several findings (competing hypotheses happen). The pane
lists them, shows the chosen one in full (the point as decimal degrees, DMS
and MGRS, precision, confidence, method, place, the reasoning, the frames,
annotations and reference images it rests on, who recorded it and when) with
links that open it in OpenStreetMap and Google Maps, and lets a person add,
correct, confirm, reject and delete findings through
:mod:`verifier.services.geolocation`, on the window's worker threads.

A GPS tag found in the file's metadata arrives as a *proposed* finding: it is
shown apart, in its own colour and with its own sentence, until a person
confirms or rejects it; nothing is accepted silently.

The location is typed or pasted as text in any form ``verifier coords``
accepts and parsed as it is typed; the parser's one-line error is shown
under the field and the finding cannot be saved until the text parses.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QBrush, QColor, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from verifier.errors import VerifierError
from verifier.geo.coords import format_dms, parse_location, to_mgrs
from verifier.gui.finding_panes import RecordsPane, ask_to_delete, conflict_box, table_item
from verifier.gui.tasks import TaskContext, TaskRunner, describe_error
from verifier.ids import GeolocationId
from verifier.services.context import App
from verifier.services.edits import EditConflict
from verifier.services.geolocation import (
    CONFIDENCES,
    METHODS,
    ReferenceImage,
    add_geolocation,
    confirm_geolocation,
    delete_geolocation,
    edit_geolocation,
    list_geolocations,
    reject_geolocation,
)

#: The open frame and the annotations of the clip: what "add from the current frame" offers.
FrameContext = Callable[[], tuple[int | None, list[dict[str, Any]]]]
PROPOSED_COLOUR = QColor(255, 236, 179)
REJECTED_COLOUR = QColor(120, 120, 120)


def point_texts(lat: float, lon: float) -> tuple[str, str, str]:
    """The point as decimal degrees, degrees-minutes-seconds and MGRS (MGRS may be
    unavailable near the poles, which the grid does not cover)."""
    decimal = f"{lat:.6f}, {lon:.6f}"
    try:
        mgrs = to_mgrs(lat, lon)
    except VerifierError as exc:
        mgrs = f"(no MGRS: {exc})"
    return decimal, format_dms(lat, lon), mgrs


def describe_point(text: str) -> str:
    """What a pasted location parses to, in the three notations, or the parser's error
    (raised as :class:`VerifierError`)."""
    location = parse_location(text)
    decimal, dms, mgrs = point_texts(location.lat, location.lon)
    return f"{decimal}  ·  {dms}  ·  {mgrs}"


def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def finding_html(g: dict[str, Any]) -> str:
    """The finding in full, as the pane shows it (map links as anchors)."""
    decimal, dms, mgrs = point_texts(g["lat"], g["lon"])
    parts: list[str] = []
    if g["status"] == "proposed":
        parts.append(
            "<p style='background:#ffecb3; padding:4px'><b>Proposed, not accepted:</b> "
            "this point is the GPS tag found in the file's metadata. A tag can be wrong, "
            "stale or forged: compare the picture with the place, then Confirm or Reject.</p>"
        )
    elif g["status"] == "rejected":
        parts.append("<p><b>Rejected</b>: kept on record, not counted as a location.</p>")
    links = " &nbsp;·&nbsp; ".join(
        f"<a href='{_esc(m['url'])}'>{_esc(m['name'])}</a>" for m in g["map_links"]
    )
    precision = f"± {g['precision_m']:,.0f} m" if g.get("precision_m") else "not given"
    rows = [
        ("Point", f"<b>{_esc(decimal)}</b>"),
        ("DMS", _esc(dms)),
        ("MGRS", _esc(mgrs)),
        (
            "As typed" if g.get("origin") == "manual" else "As recorded",
            _esc(g.get("coordinate_text")),
        ),
        ("Open in", links),
        ("Precision", _esc(precision)),
        ("Confidence", _esc(g["confidence"])),
        ("Method", _esc(g["method"])),
        ("Place", _esc(g.get("place") or "–")),
        ("Status", _esc(g["status"])),
    ]
    frames = ", ".join(str(f) for f in g.get("frames") or []) or "–"
    notes = ", ".join(f"#{a}" for a in g.get("annotations") or []) or "–"
    refs = (
        "<br>".join(
            f"{_esc(r.get('name'))} ({_esc(r.get('provider'))}, {_esc(r.get('captured'))}), "
            f"SHA-256 {_esc(str(r.get('sha256'))[:16])}…"
            for r in g.get("references") or []
        )
        or "–"
    )
    figures = ", ".join(f"#{f}" for f in g.get("figures") or []) or "–"
    rows += [("Frames", _esc(frames)), ("Annotations", _esc(notes)),
             ("Reference images", refs), ("Landmark figures", _esc(figures))]  # fmt: skip
    when = str(g.get("created_at") or "").replace("T", " ")[:19]
    changed = str(g.get("updated_at") or "").replace("T", " ")[:19]
    rows.append(("Recorded", _esc(f"by {g.get('created_by')} at {when} UTC")))
    if changed:
        rows.append(("Last changed", _esc(f"{changed} UTC")))
    table = "".join(
        f"<tr><td style='padding-right:10px; color:#555'>{k}</td><td>{v}</td></tr>" for k, v in rows
    )
    reasoning = _esc(g.get("reasoning") or "").replace("\n", "<br>")
    parts.append(f"<p><b>Finding #{g['id']}</b></p><table>{table}</table>")
    parts.append(f"<p><b>Reasoning</b><br>{reasoning}</p>")
    return "".join(parts)


class FindingDialog(QDialog):
    """Add or correct a finding. It stays open until the save succeeds, so a refusal
    (shown in red at the bottom) never loses what was typed.

    ``submitted`` carries :meth:`values`; the pane saves and then calls
    :meth:`saved` or :meth:`refused`.
    """

    submitted = Signal(object)

    def __init__(
        self,
        parent: QWidget | None,
        *,
        title: str,
        frame: int | None,
        annotations: Sequence[dict[str, Any]],
        finding: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(620)
        self.finding = finding or {}
        self.frame = frame
        self.references: list[ReferenceImage] = []
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)

        self.location = QLineEdit(self)
        self.location.setPlaceholderText(
            "paste a location: 48.5079, 35.9131 · 48°30'28\"N 35°54'47\"E · 37U CQ 12345 67890 "
            "· a map URL"
        )
        self.parsed = QLabel(self)
        self.parsed.setObjectName("locationParsed")
        self.parsed.setWordWrap(True)
        self.parsed.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form.addRow("Location", self.location)
        form.addRow("", self.parsed)

        self.precision = QDoubleSpinBox(self)
        self.precision.setRange(0.0, 1_000_000)
        self.precision.setDecimals(1)
        self.precision.setSuffix(" m")
        self.precision.setSpecialValueText("not given")  # shown at 0: a GPS tag states none
        if self.finding:
            self.precision.setValue(float(self.finding.get("precision_m") or 0.0))
        else:
            self.precision.setValue(50.0)
        self.precision.setToolTip("Radius within which the camera stood, in metres")
        form.addRow("Precision (radius)", self.precision)
        self.confidence = QComboBox(self)
        self.confidence.addItems(list(CONFIDENCES))
        self.confidence.setCurrentText(self.finding.get("confidence") or "probable")
        form.addRow("Confidence", self.confidence)
        self.method = QComboBox(self)
        self.method.addItems(list(METHODS))
        self.method.setCurrentText(self.finding.get("method") or "satellite imagery")
        form.addRow("Method", self.method)
        self.place = QLineEdit(self.finding.get("place") or "", self)
        self.place.setPlaceholderText("village, street, landmark")
        form.addRow("Place", self.place)
        self.reasoning = QPlainTextEdit(self.finding.get("reasoning") or "", self)
        self.reasoning.setPlaceholderText(
            "How the place was found: which features match (it goes in the report)"
        )
        self.reasoning.setFixedHeight(90)
        form.addRow("Reasoning", self.reasoning)

        self.frames = QLineEdit(", ".join(str(f) for f in self.finding.get("frames") or []), self)
        self.frames.setPlaceholderText("frame numbers, e.g. 120, 348")
        self.from_frame = QPushButton(self)
        self.from_frame.clicked.connect(self.add_current_frame)
        row = QHBoxLayout()
        row.addWidget(self.frames, 1)
        row.addWidget(self.from_frame)
        form.addRow("Supporting frames", row)
        self.notes = QListWidget(self)
        self.notes.setMaximumHeight(90)
        chosen = set(self.finding.get("annotations") or [])
        for a in annotations:
            here = " (this frame)" if frame is not None and a["frame_index"] == frame else ""
            text = f"#{a['id']} frame {a['frame_index']}{here}: {a['label']}"
            item = QListWidgetItem(text, self.notes)
            item.setData(Qt.ItemDataRole.UserRole, int(a["id"]))
            item.setData(Qt.ItemDataRole.UserRole + 1, int(a["frame_index"]))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = int(a["id"]) in chosen
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
        if not annotations:
            QListWidgetItem("(no annotations on this clip)", self.notes).setFlags(
                Qt.ItemFlag.NoItemFlags
            )
        form.addRow("Supporting annotations", self.notes)
        here = [a for a in annotations if frame is not None and a["frame_index"] == frame]
        if frame is None:
            self.from_frame.setText("Add from the current frame")
            self.from_frame.setEnabled(False)
        else:
            count = f", {len(here)} annotation(s)" if here else ""
            self.from_frame.setText(f"Add from the current frame ({frame}{count})")
        self.from_frame.setToolTip("Add the frame on screen, and check the annotations drawn on it")

        existing = [r.get("name") for r in self.finding.get("references") or []]
        self.reference_label = QLabel(
            ("Kept: " + ", ".join(str(n) for n in existing)) if existing else "none", self
        )
        self.reference_label.setWordWrap(True)
        self.reference_button = QPushButton("Add reference image…", self)
        self.reference_button.clicked.connect(self._choose_reference)
        self.provider = QLineEdit(self)
        self.provider.setPlaceholderText("provider, e.g. Maxar via Google Earth")
        self.captured = QLineEdit(self)
        self.captured.setPlaceholderText("captured YYYY-MM-DD")
        ref_row = QHBoxLayout()
        ref_row.addWidget(self.reference_button)
        ref_row.addWidget(self.provider, 2)
        ref_row.addWidget(self.captured, 1)
        form.addRow("Reference images", self.reference_label)
        form.addRow("", ref_row)

        self.error = QLabel(self)
        self.error.setObjectName("formError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b03a2e")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self._submit)
        self.buttons.rejected.connect(self.reject)
        note = QLabel(
            "Saved with your name in the custody log; a correction keeps the old values there. "
            "Reference images are copied into the evidence store with their SHA-256.",
            self,
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.location.textChanged.connect(self._parse)
        self.initial_at = self._initial_location()
        self.location.setText(self.initial_at)
        self._parse()

    def _initial_location(self) -> str:
        """The location as it was typed; a metadata tag's raw text that the parser does not
        read (e.g. ISO 6709) is shown as decimal degrees instead."""
        g = self.finding
        if not g:
            return ""
        typed = str(g.get("coordinate_text") or "")
        try:
            parse_location(typed)
        except VerifierError:
            return f"{g['lat']:.6f}, {g['lon']:.6f}"
        return typed

    # ------------------------------------------------------------- input

    def _parse(self) -> None:
        """Parse the location as it is typed; Save waits for text that parses."""
        text = self.location.text().strip()
        ok = False
        if not text:
            self.parsed.setText("Type or paste the location.")
            self.parsed.setStyleSheet("color: #555")
        else:
            try:
                self.parsed.setText(describe_point(text))
                self.parsed.setStyleSheet("color: #1e6b34")
                ok = True
            except VerifierError as exc:
                self.parsed.setText(str(exc))
                self.parsed.setStyleSheet("color: #b03a2e")
        self.save_button.setEnabled(ok)

    def add_current_frame(self) -> None:
        """Add the frame on screen and check the annotations drawn on it."""
        if self.frame is None:
            return
        frames = self._frame_list(strict=False)
        if self.frame not in frames:
            frames.append(self.frame)
        self.frames.setText(", ".join(str(f) for f in sorted(frames)))
        for row in range(self.notes.count()):
            item = self.notes.item(row)
            if item.data(Qt.ItemDataRole.UserRole + 1) == self.frame:
                item.setCheckState(Qt.CheckState.Checked)

    def _frame_list(self, *, strict: bool = True) -> list[int]:
        out = []
        for part in self.frames.text().replace(";", ",").split(","):
            part = part.strip()
            if not part:
                continue
            try:
                out.append(int(part))
            except ValueError:
                if strict:
                    raise VerifierError(
                        f"Supporting frames: {part!r} is not a frame number"
                    ) from None
        return out

    def _choose_reference(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Reference image", str(Path.home()), "Images (*.png *.jpg *.jpeg *.tif *.tiff)"
        )
        if path:
            self.add_reference(Path(path))

    def add_reference(self, path: Path) -> None:
        """Queue a reference image with the provider and date typed beside the button."""
        self.references.append(
            ReferenceImage(path, self.provider.text().strip(), self.captured.text().strip())
        )
        names = [r.get("name") for r in self.finding.get("references") or []]
        names += [f"{r.path.name} (new)" for r in self.references]
        self.reference_label.setText(", ".join(str(n) for n in names))

    def annotation_ids(self) -> list[int]:
        out = []
        for row in range(self.notes.count()):
            item = self.notes.item(row)
            if item.data(Qt.ItemDataRole.UserRole) is not None and (
                item.checkState() == Qt.CheckState.Checked
            ):
                out.append(int(item.data(Qt.ItemDataRole.UserRole)))
        return out

    def values(self) -> dict[str, Any]:
        """Everything as the service takes it (raises on unreadable frame numbers)."""
        return {
            "at": self.location.text().strip(),
            "precision_m": float(self.precision.value()),  # 0: refused by the service
            "confidence": self.confidence.currentText(),
            "method": self.method.currentText(),
            "place": self.place.text().strip(),
            "reasoning": self.reasoning.toPlainText().strip(),
            "frames": self._frame_list(),
            "annotations": self.annotation_ids(),
        }

    def changes(self) -> dict[str, Any]:
        """For an edit: only what differs from the finding as it was opened."""
        values = self.values()
        g = self.finding
        before = {
            "at": self.initial_at, "precision_m": g.get("precision_m"),
            "confidence": g.get("confidence"), "method": g.get("method"),
            "place": g.get("place") or "", "reasoning": g.get("reasoning") or "",
            "frames": sorted(g.get("frames") or []),
            "annotations": sorted(g.get("annotations") or []),
        }  # fmt: skip
        out = {}
        for key, value in values.items():
            old = before[key]
            if isinstance(value, list):
                value = sorted(set(value))
            if key == "precision_m" and abs(float(old or 0.0) - value) < 0.05:
                continue  # unchanged (or still not given)
            if value != old:
                out[key] = value
        return out

    def _submit(self) -> None:
        try:
            values = self.changes() if self.finding else self.values()
        except VerifierError as exc:
            self.refused(str(exc))
            return
        self.error.clear()
        self.save_button.setEnabled(False)
        self.submitted.emit(values)

    # ----------------------------------------------------------- outcome

    def saved(self) -> None:
        self.accept()

    def refused(self, message: str) -> None:
        self.error.setText(message)
        self._parse()


class GeolocationPane(RecordsPane):
    """The open clip's geolocation findings; the chosen one in full, with its map links."""

    HEADERS = ("#", "Status", "Confidence", "Method", "Place", "Point")

    def __init__(
        self, app: App, runner: TaskRunner, context: FrameContext, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.app, self.runner, self.context = app, runner, context
        self.clip_id: int | None = None
        self.findings: list[dict[str, Any]] = []
        self.opened_urls: list[str] = []  # what the map links opened (the tests read it)
        self.shown_html = ""  # the selected finding as shown, map links included

        self.add_button = QPushButton("Add finding…", self)
        self.add_button.setToolTip("Record where this clip was filmed and how you know")
        self.edit_button = QPushButton("Edit…", self)
        self.confirm_button = QPushButton("Confirm", self)
        self.confirm_button.setToolTip("Accept the selected finding (e.g. a proposed GPS tag)")
        self.reject_button = QPushButton("Reject", self)
        self.reject_button.setToolTip("Reject the selected finding: it stays on record")
        self.delete_button = QPushButton("Delete…", self)
        self.copy_button = QPushButton("Copy coordinate", self)
        self.copy_button.setToolTip("Copy the point as decimal degrees (lat, lon)")
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit_selected)
        self.confirm_button.clicked.connect(lambda: self._decide(True))
        self.reject_button.clicked.connect(lambda: self._decide(False))
        self.delete_button.clicked.connect(self.delete_selected)
        self.copy_button.clicked.connect(self.copy_coordinate)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.confirm_button,
                       self.reject_button, self.delete_button):  # fmt: skip
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)

        table = QTableWidget(0, len(self.HEADERS), self)
        table.setHorizontalHeaderLabels(list(self.HEADERS))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        table.horizontalHeader().setStretchLastSection(True)
        table.itemSelectionChanged.connect(self._selection)
        table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.table = table
        self.details = QTextBrowser(self)
        self.details.setObjectName("geolocationDetails")
        self.details.setOpenLinks(False)
        self.details.anchorClicked.connect(self.open_url)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(table)
        split.addWidget(self.details)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        split.setSizes([120, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addWidget(split, 1)
        self._selection()

    # ------------------------------------------------------------- showing

    def show_clip(self, clip_id: int | None) -> None:
        """Load the findings of the clip just opened (None: show nothing)."""
        self.clip_id = clip_id
        self.show_findings([])
        self.reload()

    def reload(self, selected: int | None = None) -> None:
        if self.clip_id is None:
            return
        app, clip_id = self.app, self.clip_id

        def done(findings: list[dict[str, Any]]) -> None:
            if self.clip_id == clip_id:
                self.show_findings(findings, selected)

        self.runner.run(lambda ctx: list_geolocations(app, clip_id), on_done=done)

    def show_findings(self, findings: list[dict[str, Any]], selected: int | None = None) -> None:
        self.findings = list(findings)
        self.table.blockSignals(True)
        self.table.setRowCount(len(findings))
        for r, g in enumerate(findings):
            status = "PROPOSED" if g["status"] == "proposed" else g["status"]
            values = [f"#{g['id']}", status, g["confidence"], g["method"], g.get("place") or "",
                      f"{g['lat']:.5f}, {g['lon']:.5f}"]  # fmt: skip
            for c, value in enumerate(values):
                cell = table_item(value, g["id"] if c == 0 else None)
                if g["status"] == "proposed":
                    cell.setBackground(QBrush(PROPOSED_COLOUR))
                elif g["status"] == "rejected":
                    cell.setForeground(QBrush(REJECTED_COLOUR))
                self.table.setItem(r, c, cell)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.blockSignals(False)
        if findings:
            wanted = selected if selected is not None else findings[0]["id"]
            row = next((r for r, g in enumerate(findings) if g["id"] == wanted), 0)
            self.table.selectRow(row)
        self._selection()

    def selected(self) -> dict[str, Any] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or not 0 <= rows[0].row() < len(self.findings):
            return None
        return self.findings[rows[0].row()]

    def select(self, finding_id: int) -> None:
        for row, g in enumerate(self.findings):
            if g["id"] == finding_id:
                self.table.selectRow(row)

    def _selection(self) -> None:
        g = self.selected()
        open_clip = self.clip_id is not None
        self.add_button.setEnabled(open_clip)
        for button in (self.edit_button, self.delete_button, self.copy_button):
            button.setEnabled(g is not None)
        self.confirm_button.setEnabled(g is not None and g["status"] != "confirmed")
        self.reject_button.setEnabled(g is not None and g["status"] != "rejected")
        if g is not None:
            self.shown_html = finding_html(g)
            self.details.setHtml(self.shown_html)
        elif open_clip:
            self.details.setHtml(
                "<p>No geolocation finding for this clip yet.</p><p>Add finding… records where "
                "it was filmed: paste the coordinates in any common form, say how you found "
                "the place, and add the frame on screen and its annotations as evidence.</p>"
            )
        else:
            self.details.clear()

    def open_url(self, url: QUrl) -> None:
        """A map link: open it in the browser."""
        self.opened_urls.append(url.toString())
        QDesktopServices.openUrl(url)

    def copy_coordinate(self) -> None:
        g = self.selected()
        if g is not None:
            QGuiApplication.clipboard().setText(f"{g['lat']:.6f}, {g['lon']:.6f}")

    # ------------------------------------------------------------- editing

    def add(self) -> None:
        if self.clip_id is None:
            return
        frame, annotations = self.context()
        dialog = FindingDialog(self, title="Add a geolocation finding", frame=frame,
                               annotations=annotations)  # fmt: skip
        app, clip_id = self.app, self.clip_id

        def submitted(values: dict[str, Any]) -> None:
            references = list(dialog.references)

            def work(ctx: TaskContext) -> dict[str, Any]:
                return add_geolocation(app, str(clip_id), references=references, **values)

            self.runner.run(
                work,
                on_done=lambda g: (dialog.saved(), self._saved(g["id"])),
                on_error=lambda exc: dialog.refused(describe_error(exc)),
            )

        dialog.submitted.connect(submitted)
        self._open(dialog)

    def edit_selected(self) -> None:
        g = self.selected()
        if g is not None:
            self.edit(g)

    def edit(self, g: dict[str, Any]) -> None:
        """Correct a finding; only what changed is sent, with the version that was shown."""
        frame, annotations = self.context()
        dialog = FindingDialog(self, title=f"Edit geolocation finding #{g['id']}", frame=frame,
                               annotations=annotations, finding=g)  # fmt: skip
        app = self.app

        def submitted(changes: dict[str, Any]) -> None:
            references = list(dialog.references)
            if not changes and not references:
                dialog.saved()
                return

            def work(ctx: TaskContext) -> dict[str, Any]:
                return edit_geolocation(app, GeolocationId(g["id"]),
                                        expected_version=g["version"],
                                        add_references=references, **changes)  # fmt: skip

            def failed(exc: BaseException) -> None:
                if isinstance(exc, EditConflict):
                    dialog.reject()
                    self._conflict(exc, g)
                else:
                    dialog.refused(describe_error(exc))

            self.runner.run(
                work, on_done=lambda new: (dialog.saved(), self._saved(new["id"])),
                on_error=failed,
            )  # fmt: skip

        dialog.submitted.connect(submitted)
        self._open(dialog)

    def _decide(self, confirm: bool) -> None:
        g = self.selected()
        if g is None:
            return
        app, ident, version = self.app, GeolocationId(g["id"]), g["version"]
        call = confirm_geolocation if confirm else reject_geolocation
        self.runner.run(
            lambda ctx: call(app, ident, expected_version=version),
            on_done=lambda new: self._saved(new["id"]),
            on_error=lambda exc: self._conflict(exc, g),
        )

    def delete_selected(self) -> None:
        g = self.selected()
        if g is None:
            return
        app = self.app

        def delete() -> None:
            self.runner.run(
                lambda ctx: delete_geolocation(app, GeolocationId(g["id"]),
                                               expected_version=g["version"]),
                on_done=lambda _r: self._saved(None),
                on_error=lambda exc: self._conflict(exc, g),
            )  # fmt: skip

        self._open(ask_to_delete(
            self, "Delete finding",
            f"Delete geolocation finding #{g['id']} ({g['lat']:.5f}, {g['lon']:.5f})? "
            "The custody log keeps what it said; reference images stay in the store.",
            delete,
        ))  # fmt: skip

    def _conflict(self, exc: BaseException, g: dict[str, Any]) -> None:
        """Explain a refusal; a stale save shows the finding as it is now."""
        if not self._stale(exc, g["id"], "Geolocation"):
            return
        self._open(conflict_box(
            self, exc, "Finding changed by someone else",
            "Nothing was saved; the pane now shows the finding as it is. "
            "Look at it again, then make your change on that version.",
        ))  # fmt: skip
