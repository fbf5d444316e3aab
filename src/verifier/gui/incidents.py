"""The case's incidents as a graph: clips as nodes, typed links as edges.

An incident is a group of clips joined by same-incident, continuation or
confirmed re-upload/excerpt links (:mod:`verifier.services.incidents`). The
view draws each incident's clips on a circle (two on a row), incidents side
by side in the order the service lists them, so the same case always looks
the same. Edges are labelled with their type and drawn in its style
(:data:`EDGE_STYLES`); directional types (continuation, excerpt) carry an
arrow from A to B. Two links between the same pair bend apart.

Beside the graph: the incident's name and description (saved through the
incidents service, with the version shown so a stale save is refused) and
the warnings: clips geolocated near each other with overlapping times but no
link. Clicking a clip opens it in the main window.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import (
    QDialog,
    QGraphicsEllipseItem,
    QGraphicsPathItem,
    QGraphicsPolygonItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
    QGraphicsSimpleTextItem,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from verifier.gui.tasks import TaskContext, TaskRunner, describe_error
from verifier.services.cases import resolve_case
from verifier.services.context import App
from verifier.services.incidents import describe_incident, list_incidents, name_incident

#: (colour, Qt pen style) per link type; the legend under the graph repeats it.
EDGE_STYLES: dict[str, tuple[str, Qt.PenStyle]] = {
    "same-incident": ("#1f5fa8", Qt.PenStyle.SolidLine),
    "continuation": ("#1e7b3a", Qt.PenStyle.SolidLine),
    "re-upload": ("#6d6d6d", Qt.PenStyle.DashLine),
    "excerpt": ("#8a5a00", Qt.PenStyle.DashLine),
    "same-location": ("#7b3fa0", Qt.PenStyle.DotLine),
    "contradicts": ("#b03a2e", Qt.PenStyle.DashDotLine),
    "aligned": ("#444444", Qt.PenStyle.DotLine),
}
NODE_RADIUS = 26.0
GROUP_GAP = 120.0
ROW_GAP = 90.0
#: Incidents wrap onto a new row past this width (scene units), so many fit one screen.
ROW_WIDTH = 1100.0


def circle_positions(count: int) -> tuple[list[QPointF], float]:
    """Where an incident's clips go (relative to its centre), and the circle's radius.

    One clip sits at the centre, two on a row, more on a circle big enough
    that neighbouring nodes and their names do not touch.
    """
    if count <= 1:
        return [QPointF(0, 0)], 0.0
    if count == 2:
        return [QPointF(-110, 0), QPointF(110, 0)], 110.0
    radius = max(120.0, count * 150.0 / (2 * math.pi))
    points = [
        QPointF(radius * math.cos(-math.pi / 2 + 2 * math.pi * i / count),
                radius * math.sin(-math.pi / 2 + 2 * math.pi * i / count))
        for i in range(count)
    ]  # fmt: skip
    return points, radius


def incident_title(incident: dict[str, Any]) -> str:
    if incident.get("name"):
        return f"#{incident['id']} {incident['name']}"
    return f"Unnamed incident ({incident['ref']})"


class ClipNode(QGraphicsEllipseItem):
    """A clip: a circle with its id, its name under it; a click opens it."""

    def __init__(self, clip: dict[str, Any], centre: QPointF, view: IncidentsView) -> None:
        r = NODE_RADIUS
        super().__init__(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r))
        self.clip = clip
        self.view = view
        self.setBrush(QBrush(QColor("#e8f0fb")))
        self.setPen(QPen(QColor("#1f3b63"), 2))
        self.setZValue(2)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"Clip #{clip['id']} {clip['name']}\nSHA-256 {clip.get('sha256')}\n"
                        "Click to open it in the main window")  # fmt: skip
        label = QGraphicsSimpleTextItem(f"#{clip['id']}", self)
        bold = QFont()
        bold.setBold(True)
        label.setFont(bold)
        box = label.boundingRect()
        label.setPos(centre.x() - box.width() / 2, centre.y() - box.height() / 2)
        name = str(clip["name"])
        shown = name if len(name) <= 26 else name[:24] + "…"
        self.name_item = QGraphicsSimpleTextItem(shown, self)
        box = self.name_item.boundingRect()
        self.name_item.setPos(centre.x() - box.width() / 2, centre.y() + r + 4)

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        self.view.clipChosen.emit(int(self.clip["id"]))
        event.accept()


class IncidentsView(QDialog):
    """Incidents of the current case: the graph, names and descriptions, the warnings.

    For callers and tests: ``scene``, ``nodes`` (clip id → :class:`ClipNode`
    per incident), ``edges`` (one entry per link drawn: link id, path item,
    label item), ``incidents`` and ``warnings`` as the service gave them,
    ``incident_list``, ``name_edit``, ``description_edit``, ``save_button``
    and ``warning_list``. ``clipChosen`` carries the id of a clicked clip.
    """

    clipChosen = Signal(int)

    def __init__(
        self, parent: QWidget | None, app: App, runner: TaskRunner, case_name: str | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Incidents" + (f" — {case_name}" if case_name else ""))
        self.app, self.runner, self.case_name = app, runner, case_name
        self.incidents: list[dict[str, Any]] = []
        self.warnings: list[dict[str, Any]] = []
        self.nodes: list[dict[int, ClipNode]] = []
        self.edges: list[tuple[int, QGraphicsPathItem, QGraphicsSimpleTextItem]] = []
        self.titles: list[QGraphicsSimpleTextItem] = []
        self.loaded = False

        self.scene = QGraphicsScene(self)
        self.graph = QGraphicsView(self.scene, self)
        self.graph.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.graph.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.graph.setMinimumWidth(420)
        legend = QLabel(
            " · ".join(
                f"<span style='color:{colour}'>{'━' if style == Qt.PenStyle.SolidLine else '╌'}"
                f" {kind}</span>"
                for kind, (colour, style) in EDGE_STYLES.items()
            )
            + " · arrows: A → B for continuation and excerpt",
            self,
        )
        legend.setWordWrap(True)
        legend.setTextFormat(Qt.TextFormat.RichText)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.graph, 1)
        left_layout.addWidget(legend)

        self.incident_list = QListWidget(self)
        self.incident_list.currentRowChanged.connect(self._chosen)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText("name, e.g. Strike on the bridge, 12 March")
        self.description_edit = QPlainTextEdit(self)
        self.description_edit.setPlaceholderText("What happened, what the clips show together")
        self.save_button = QPushButton("Save name and description", self)
        self.save_button.clicked.connect(self.save)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setToolTip("Read the links again (after adding or deciding some)")
        self.refresh_button.clicked.connect(lambda: self.reload(self.incident_list.currentRow()))
        self.timeline_button = QPushButton("Timeline…", self)
        self.timeline_button.setToolTip(
            "The incident's clips on one clock: lanes, gaps, events; click a moment to "
            "step the clips covering it together"
        )
        self.timeline_button.clicked.connect(self.open_timeline)
        self.timeline_view: QWidget | None = None
        self.members = QLabel(self)
        self.members.setWordWrap(True)
        self.warning_list = QListWidget(self)
        self.warning_list.setWordWrap(True)
        right = QWidget(self)
        side = QVBoxLayout(right)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(QLabel("<b>Incidents</b>", self))
        side.addWidget(self.incident_list, 1)
        side.addWidget(QLabel("Name", self))
        side.addWidget(self.name_edit)
        side.addWidget(QLabel("Description", self))
        side.addWidget(self.description_edit, 1)
        row = QHBoxLayout()
        row.addWidget(self.refresh_button)
        row.addWidget(self.timeline_button)
        row.addStretch(1)
        row.addWidget(self.save_button)
        side.addLayout(row)
        side.addWidget(self.members)
        side.addWidget(QLabel("<b>Warnings</b>: near in place and time, but not linked", self))
        side.addWidget(self.warning_list, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setSizes([800, 340])
        layout = QVBoxLayout(self)
        layout.addWidget(split)
        self.resize(1200, 720)
        self._enable()
        self.reload()

    # -------------------------------------------------------------- loading

    def reload(self, keep: int | None = None) -> None:
        app, name = self.app, self.case_name

        def work(ctx: TaskContext) -> dict[str, Any]:
            return list_incidents(app, resolve_case(app, name))

        def done(listing: dict[str, Any]) -> None:
            self.show_listing(listing, keep)

        self.runner.run(work, on_done=done)

    def show_listing(self, listing: dict[str, Any], keep: int | None = None) -> None:
        self.incidents = list(listing["incidents"])
        self.warnings = list(listing["warnings"])
        self._draw()
        self.incident_list.blockSignals(True)
        self.incident_list.clear()
        for incident in self.incidents:
            count = len(incident["clips"])
            QListWidgetItem(f"{incident_title(incident)} · {count} clips", self.incident_list)
        self.incident_list.blockSignals(False)
        self.warning_list.clear()
        for warning in self.warnings:
            QListWidgetItem(str(warning["message"]), self.warning_list)
        if not self.warnings:
            QListWidgetItem("None.", self.warning_list).setFlags(Qt.ItemFlag.NoItemFlags)
        row = keep if keep is not None and 0 <= keep < len(self.incidents) else 0
        if self.incidents:
            self.incident_list.setCurrentRow(row)
        self._chosen(self.incident_list.currentRow())
        self.loaded = True

    # -------------------------------------------------------------- drawing

    def _draw(self) -> None:
        self.scene.clear()
        self.nodes, self.edges, self.titles = [], [], []
        if not self.incidents:
            text = self.scene.addSimpleText(
                "No incidents yet: link clips that show the same incident "
                "(Links tab ▸ Add link…, type same incident or continuation)."
            )
            self.titles.append(text)
            return
        x = y = row_height = 0.0
        for incident in self.incidents:
            points, radius = circle_positions(len(incident["clips"]))
            half = radius + NODE_RADIUS + 90
            tall = max((abs(p.y()) for p in points), default=0.0)  # a row of two is flat
            height = 2 * (tall + NODE_RADIUS) + 110
            if x > 0 and x + 2 * half > ROW_WIDTH:
                x, y, row_height = 0.0, y + row_height + ROW_GAP, 0.0
            row_height = max(row_height, height)
            centre = QPointF(x + half, y + tall + NODE_RADIUS + 60)
            title = self.scene.addSimpleText(incident_title(incident))
            bold = QFont()
            bold.setBold(True)
            bold.setPointSizeF(bold.pointSizeF() * 1.15)
            title.setFont(bold)
            box = title.boundingRect()
            title.setPos(centre.x() - box.width() / 2, centre.y() - tall - NODE_RADIUS - 48)
            self.titles.append(title)
            nodes: dict[int, ClipNode] = {}
            for clip, point in zip(incident["clips"], points, strict=False):
                node = ClipNode(clip, centre + point, self)
                self.scene.addItem(node)
                nodes[int(clip["id"])] = node
            self.nodes.append(nodes)
            self._draw_edges(incident["links"], nodes)
            x += 2 * half + GROUP_GAP
        self.graph.setSceneRect(self.scene.itemsBoundingRect().adjusted(-30, -30, 30, 30))
        self.fit()

    def fit(self) -> None:
        """Show every incident: scale the graph down when it is larger than the view,
        never up (names stay at their reading size)."""
        rect = self.graph.sceneRect()
        viewport = self.graph.viewport().size()
        self.graph.resetTransform()
        if rect.width() > viewport.width() or rect.height() > viewport.height():
            self.graph.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)

    def resizeEvent(self, event: Any) -> None:
        super().resizeEvent(event)
        self.fit()

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        self.fit()

    def _draw_edges(self, links: list[dict[str, Any]], nodes: dict[int, ClipNode]) -> None:
        seen: dict[frozenset[int], int] = defaultdict(int)
        for link in links:
            a_id, b_id = int(link["clip_a"]["id"]), int(link["clip_b"]["id"])
            if a_id not in nodes or b_id not in nodes:
                continue
            pair = frozenset((a_id, b_id))
            bend = seen[pair]
            seen[pair] += 1
            a = nodes[a_id].rect().center()
            b = nodes[b_id].rect().center()
            self._edge(link, a, b, bend)

    def _edge(self, link: dict[str, Any], a: QPointF, b: QPointF, bend: int) -> None:
        colour, style = EDGE_STYLES.get(link["type"], ("#444444", Qt.PenStyle.SolidLine))
        pen = QPen(QColor(colour), 2.2, style)
        if link["status"] == "proposed":
            pen.setWidthF(1.2)
        dx, dy = b.x() - a.x(), b.y() - a.y()
        length = math.hypot(dx, dy) or 1.0
        ux, uy = dx / length, dy / length
        # Start and end on the circles' rims; parallel links bend to alternate sides.
        start = QPointF(a.x() + ux * NODE_RADIUS, a.y() + uy * NODE_RADIUS)
        end = QPointF(b.x() - ux * NODE_RADIUS, b.y() - uy * NODE_RADIUS)
        offset = 0.0 if bend == 0 else 36.0 * ((bend + 1) // 2) * (1 if bend % 2 else -1)
        control = QPointF((start.x() + end.x()) / 2 - uy * offset * 2,
                          (start.y() + end.y()) / 2 + ux * offset * 2)  # fmt: skip
        path = QPainterPath(start)
        path.quadTo(control, end)
        item = QGraphicsPathItem(path)
        item.setPen(pen)
        item.setZValue(1)
        tip = (f"Link #{link['id']}: {link['type']} ({link['status']})\n"
               f"{link.get('rationale') or ''}")  # fmt: skip
        item.setToolTip(tip)
        self.scene.addItem(item)
        if link.get("directional"):
            tangent = path.angleAtPercent(1.0)
            self._arrow(end, tangent, QColor(colour))
        middle = path.pointAtPercent(0.5)
        text = link["type"]
        if link.get("offset") is not None:
            text += f" {float(link['offset']):+.3f} s"
        if link["status"] != "confirmed":
            text += f" ({link['status']})"
        label = QGraphicsSimpleTextItem(text)
        label.setBrush(QBrush(QColor(colour)))
        box = label.boundingRect()
        label.setPos(middle.x() - box.width() / 2, middle.y() - box.height() - 2)
        label.setZValue(3)
        label.setToolTip(tip)
        self.scene.addItem(label)
        self.edges.append((int(link["id"]), item, label))

    def _arrow(self, tip: QPointF, angle_deg: float, colour: QColor) -> None:
        angle = math.radians(angle_deg)
        ux, uy = math.cos(angle), -math.sin(angle)  # Qt's angles turn counter-clockwise
        back = QPointF(tip.x() - ux * 12.0, tip.y() - uy * 12.0)
        left = QPointF(back.x() - uy * 6.0, back.y() + ux * 6.0)
        right = QPointF(back.x() + uy * 6.0, back.y() - ux * 6.0)
        arrow = QGraphicsPolygonItem(QPolygonF([tip, left, right]))
        arrow.setBrush(QBrush(colour))
        arrow.setPen(QPen(colour))
        arrow.setZValue(1)
        self.scene.addItem(arrow)

    # -------------------------------------------------------------- editing

    def current(self) -> dict[str, Any] | None:
        row = self.incident_list.currentRow()
        return self.incidents[row] if 0 <= row < len(self.incidents) else None

    def _chosen(self, row: int) -> None:
        incident = self.current()
        self.name_edit.setText(incident.get("name") or "" if incident else "")
        self.description_edit.setPlainText(incident.get("description") or "" if incident else "")
        if incident is not None:
            names = ", ".join(f"#{c['id']} {c['name']}" for c in incident["clips"])
            self.members.setText(f"Clips: {names}. Links: {len(incident['links'])}.")
            nodes = self.nodes[row] if 0 <= row < len(self.nodes) else {}
            for r, group in enumerate(self.nodes):
                for node in group.values():
                    node.setPen(QPen(QColor("#d35400" if r == row else "#1f3b63"),
                                     3.5 if r == row else 2))  # fmt: skip
            if nodes:
                first = next(iter(nodes.values()))
                self.graph.ensureVisible(first, 200, 200)
        else:
            self.members.setText("")
        self._enable()

    def _enable(self) -> None:
        on = self.current() is not None
        for widget in (self.name_edit, self.description_edit, self.save_button,
                       self.timeline_button):  # fmt: skip
            widget.setEnabled(on)

    def open_timeline(self) -> None:
        """The chosen incident on its clock (:class:`verifier.gui.incident_view.IncidentView`)."""
        from verifier.gui.incident_view import IncidentView

        incident = self.current()
        if incident is None:
            return
        view = IncidentView(self.app, self.runner, str(incident["ref"]), self.case_name, self)
        self.timeline_view = view
        view.show()

    def save(self) -> None:
        """Name (or rename) the incident and set its description, as one save per field."""
        incident = self.current()
        if incident is None:
            return
        name = self.name_edit.text().strip()
        description = self.description_edit.toPlainText().strip()
        app, case_name, row = self.app, self.case_name, self.incident_list.currentRow()
        ref, version = incident["ref"], incident.get("version")
        rename = name != (incident.get("name") or "")
        if not name:
            self.runner.show_error("incident name: the name cannot be empty", "Incident")
            return

        def work(ctx: TaskContext) -> dict[str, Any]:
            case = resolve_case(app, case_name)
            if rename or incident.get("id") is None:
                return name_incident(app, ref, name, description=description, case=case,
                                     expected_version=version)  # fmt: skip
            return describe_incident(app, ref, description, case=case, expected_version=version)

        def failed(exc: BaseException) -> None:
            self.runner.show_error(describe_error(exc), "Incident")
            self.reload(row)

        self.runner.run(work, on_done=lambda _r: self.reload(row), on_error=failed)
