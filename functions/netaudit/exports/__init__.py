"""What auditors and operators get from one audit, rendered from the evidence document.

Pure functions (no AWS): each takes the evidence JSON the Report step writes
(`netaudit.workflow.report`, schemaVersion 1) and returns text.
- `html.render`: a self-contained HTML report (no remote assets, no script, prints well; its
  task cards, groups and tables are `html_tasks`);
- `ocsf.render`: OCSF Compliance Findings (class_uid 2003), JSON Lines;
- `junit.render`: JUnit XML, one test case per task;
- `compliance`: the one mapping of this check to PCI DSS / NIST 800-53 and the config checks;
- `manifest`: SHA-256 manifest of an audit's objects and its verification.
`netaudit.workflow.report.artifacts` writes them to S3 beside the evidence JSON.
"""
