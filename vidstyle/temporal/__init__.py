"""Temporal consistency: the motion between frames (motion) and the temporal terms on features and outputs
(blend)."""
