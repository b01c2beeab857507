"""Many jobs: a batch of inputs and presets in local processes (batch), or on a Ray cluster (cluster, with
connect and worker)."""
