"""vidstyle: neural style transfer for film clips and photos."""

import os

__version__ = "0.1.0"

# PyTorch's OpenMP (libgomp) keeps each idle thread spinning for 300,000 iterations after a parallel step before
# it sleeps. Inside a network the next step comes sooner than that either way; after the network's last one, the
# spinning takes the CPU the video job's other stages (flow, output temporal step, encode) run on: on 2 cores,
# 640x360 (benchmarks/stages.py), the output temporal step's CPU a frame 17.8 -> 8.4 ms beside the fast network
# in bf16 (its wall time 53.5 -> 53.6 ms), 16.6 -> 9.3 ms beside it on onnxruntime, 17.6 -> 8.7 ms beside AdaIN.
# Read once, when torch loads libgomp: so set here, before any vidstyle module imports torch; a user's own wins.
os.environ.setdefault("GOMP_SPINCOUNT", "3000")
