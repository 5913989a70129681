"""The verdict engine: probe document + what tasks declare -> ISOLATED / VIOLATION / INCONCLUSIVE.

Pure Python, no AWS. See docs/CONTRACTS.md ("Verdict API") and the README's "What is checked
(the verdict rules)".
"""

from netaudit.verdict.engine import (
    evaluate_document,
    evaluate_output,
    evaluate_probe,
    inconclusive_all,
    overall,
)

__all__ = ["evaluate_document", "evaluate_output", "evaluate_probe", "inconclusive_all", "overall"]
