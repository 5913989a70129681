"""`netaudit demo`: the live progress, the report, the runs (canary, cluster, continuous), the CLI."""
