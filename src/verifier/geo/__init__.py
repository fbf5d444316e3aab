"""Places on the Earth: coordinates as people paste them, map exports, the sun.

A pipeline stage like ``media`` and ``hashing``: pure functions over numbers,
text and images, with no database and no Qt, so the services that record
geolocation and chronolocation findings and the CLI that only converts a
coordinate share one implementation.
"""
