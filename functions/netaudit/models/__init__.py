"""Pydantic models shared by the handlers, the workflow and the local runner.

- `probe`: the probe document the host script prints (schemaVersion 1).
- `verdict`: what the rules engine returns (ExpectedTask in, TaskVerdict out).
"""
