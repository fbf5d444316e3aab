"""Typed identifiers of the recorded items.

At run time they are plain ``int``s (database primary keys); the types keep a
clip id from being passed where a case id is expected, which a type checker
catches and a reader sees in every service signature.
"""

from __future__ import annotations

from typing import NewType

CaseId = NewType("CaseId", int)
ClipId = NewType("ClipId", int)
FileId = NewType("FileId", int)
AppearanceId = NewType("AppearanceId", int)
AnnotationId = NewType("AnnotationId", int)
LinkId = NewType("LinkId", int)
GeolocationId = NewType("GeolocationId", int)
ChronolocationId = NewType("ChronolocationId", int)
IncidentId = NewType("IncidentId", int)
EventId = NewType("EventId", int)
