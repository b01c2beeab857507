"""Shots: where a film clip's temporal state resets and its look may change. Boundaries as plain values and cut
lists (cuts), TransNetV2 detection (detect), the video job's shot stage (stage) and `vidstyle shots` (listing)."""
