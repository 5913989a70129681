"""The container instances of a local run: this Docker engine, recorded and simulated hosts,
and the SSM document runner they share."""
