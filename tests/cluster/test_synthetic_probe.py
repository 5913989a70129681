"""The synthetic probe documents the scale bench uses are judged like real ones."""

from netaudit.models.verdict import ExpectedTask
from netaudit.verdict import evaluate_probe
from netaudit_local.hosts.synthetic import synthetic_probe

ARN = "arn:aws:ecs:us-east-1:123456789012:task/prod/{:032x}"


def test_every_mode_is_isolated_and_the_marked_task_violates():
    tasks = [
        ExpectedTask(ARN.format(1), "none"),
        ExpectedTask(ARN.format(2), "bridge"),
        ExpectedTask(ARN.format(3), "host"),
        ExpectedTask(ARN.format(4), "awsvpc", "10.0.3.7"),
        ExpectedTask(ARN.format(5), "none"),
    ]
    document = synthetic_probe(tasks, violating={ARN.format(5)})
    verdicts = {v.task_arn: v for v in evaluate_probe(document, tasks)}
    assert [verdicts[ARN.format(i)].verdict for i in range(1, 5)] == ["ISOLATED"] * 4
    assert verdicts[ARN.format(5)].verdict == "VIOLATION"
    assert any("dummy0" in reason for reason in verdicts[ARN.format(5)].reasons)


def test_a_wrong_eni_address_is_caught():
    declared = [ExpectedTask(ARN.format(1), "awsvpc", "10.0.3.7")]
    shown = [ExpectedTask(ARN.format(1), "awsvpc", "10.0.3.8")]
    [verdict] = evaluate_probe(synthetic_probe(shown), declared)
    assert verdict.verdict == "VIOLATION"
