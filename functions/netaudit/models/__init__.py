"""Pydantic models shared by the handlers, the workflow and the local runner.

- `task`: the task an audit verifies (AuditTask), from the inventory to the verdict.
- `inputs`: the execution input and the parts of the state the steps pass on.
- `state`: the parent execution's state as StopCanary and Report receive it.
- `events`: what each Lambda step receives.
- `probe`: the probe document the host script prints (schemaVersion 1 and 2).
- `verdict`: what the rules engine returns (AuditTask in, TaskVerdict out; TaskOutcome the shape).
- `evidence`: the report's records and the evidence JSON (its schema: docs/evidence.schema.json).
"""
