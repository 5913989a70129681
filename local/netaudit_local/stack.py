"""The template's resources, created on moto: what a deploy would create, locally.

Reads template.yaml and statemachine/: the ASL with its DefinitionSubstitutions resolved to
local function ARNs and parameter values, the SSM document from ProbeDocument, the evidence
bucket, the alert topic, an ECS cluster with one container instance per host.
"""

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from netaudit.workflow.scope import Scope
from netaudit_cli import history as execution_history
from netaudit_local import iam as local_iam
from netaudit_local.cloud import sfn_strict
from netaudit_local.cloud.account import ACCOUNT, REGION
from netaudit_local.cloud.aws import Seams
from netaudit_local.cloud.stepfunctions import check_express_durations, check_payload_sizes, for_moto
from netaudit_local.iam.policies import Resolver
from netaudit_local.instances import account_network, ec2_instance, register_instances
from netaudit_local.sam_transform import transformed
from netaudit_local.template import TEMPLATE_PATH, load_template
from netaudit_local.template_rules import check_rules

FUNCTION_TYPE = "AWS::Serverless::Function"
STACK_NAME = "netaudit-local"
STACK_UUID = "0f6e3c1a-5b7d-4e2f-9a1b-3c4d5e6f7a8b"  # the stack id's last part (names derive from it)
PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT,
    "AWS::Partition": "aws",
    "AWS::StackName": STACK_NAME,
    "AWS::StackId": f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/{STACK_NAME}/{STACK_UUID}",
}
MACHINE_NAME = f"netaudit-{STACK_UUID}"  # what the template's Name makes of the stack id


@dataclass
class LocalStack:
    seams: Seams
    state_machine_arn: str
    cluster: str  # the first cluster of the scope (the canary's default)
    bucket: str
    topic_arn: str
    document_name: str
    functions: dict[str, str]  # logical id -> function name
    parameters: dict[str, str]
    container_instances: dict[str, str] = field(default_factory=dict)  # instance id -> ARN
    subnet_id: str = ""
    security_group_id: str = ""
    clusters: list[str] = field(default_factory=list)  # every cluster created (the scope's and the hosts')
    instance_clusters: dict[str, str] = field(default_factory=dict)  # instance id -> its cluster
    event_state_machine_arn: str = ""  # EventAuditStateMachine (EXPRESS), with EnableEventDrivenAudits

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)  # type: ignore[call-overload]


@dataclass
class ExecutionResult:
    status: str
    output: dict[str, Any] | None
    error: str | None
    cause: str | None
    history: list[dict[str, Any]]
    execution_arn: str
    children: list[list[dict[str, Any]]] = field(default_factory=list)  # Distributed Map children
    janitor: dict[str, Any] | None = None  # what the backstop clean-up did (failed executions)

    @property
    def transitions(self) -> int:
        """Parent and children: each child of a Distributed Map is billed as its own execution."""
        return execution_history.transitions(self.history) + sum(
            execution_history.transitions(h) for h in self.children
        )

    @property
    def lambda_invocations(self) -> int:
        return execution_history.lambda_calls(self.history) + sum(
            execution_history.lambda_calls(h) for h in self.children
        )

    def entered(self) -> list[str]:
        """States entered by the execution, then by its children."""
        events = [*self.history, *(e for h in self.children for e in h)]
        return [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]


def parameter_values(template: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, str]:
    values = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
    values.update({k: str(v) for k, v in overrides.items()})
    return values


def function_name(logical_id: str) -> str:
    return f"netaudit-{logical_id}"


def function_arn(logical_id: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name(logical_id)}"


EVENT_QUEUES = {
    "TaskEventsQueue": "netaudit-task-events",
    "TaskEventsDeadLetterQueue": "netaudit-task-events-dlq",
}


def event_queues() -> dict[str, str]:
    """Physical names of the event path's queues (Ref = URL, Arn, QueueName), as SQS names them."""
    out: dict[str, str] = {}
    for logical, name in EVENT_QUEUES.items():
        out[logical] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{name}"
        out[f"{logical}.Arn"] = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"
        out[f"{logical}.QueueName"] = name
    return out


def local_resolver(
    template: Mapping[str, Any], params: Mapping[str, str], bucket: str, topic_arn: str, document_name: str
) -> tuple[dict[str, str], Resolver]:
    """The template's functions (logical id -> local name), and its Ref/GetAtt resolved to the
    local stack's physical names (the IAM policies and the definition are resolved with it)."""
    resources: Mapping[str, Any] = template["Resources"]
    functions = {k: function_name(k) for k, r in resources.items() if r.get("Type") == FUNCTION_TYPE}
    physical: dict[str, str] = {
        "EvidenceBucket": bucket,
        "EvidenceBucket.Arn": f"arn:aws:s3:::{bucket}",
        "AlertTopic": topic_arn,
        "ProbeDocument": document_name,
        "FunctionLogGroup": "/aws/lambda/netaudit-local",
        # the event path's queues (EnableEventDrivenAudits): created by netaudit_local.pipes
        **event_queues(),
    }
    for logical in functions:
        physical[logical] = function_name(logical)
        physical[f"{logical}.Arn"] = function_arn(logical)
    return functions, Resolver(template, params, physical, PSEUDO)


def deployed_functions(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The template's functions as a deploy creates them (logical id -> Properties): the
    AWS::Lambda::Function resources of the transform (netaudit_local.sam_transform), SAM having
    merged the Globals into each (its Environment.Variables: the Globals' and the function's own,
    its own winning)."""
    resources = transformed(template)["Resources"]
    return {k: r["Properties"] for k, r in resources.items() if r.get("Type") == "AWS::Lambda::Function"}


def function_environments(template: Mapping[str, Any], resolve: Resolver) -> dict[str, dict[str, str]]:
    """Each function's environment (local name -> variables), resolved, as SAM deploys it."""
    return {
        function_name(logical): {
            k: str(resolve(v)) for k, v in props.get("Environment", {}).get("Variables", {}).items()
        }
        for logical, props in deployed_functions(template).items()
    }


def create_stack(
    seams: Seams,
    parameters: Mapping[str, Any] | None = None,
    template_path: Path = TEMPLATE_PATH,
) -> LocalStack:
    template = load_template(template_path)
    params = parameter_values(template, parameters or {})
    check_rules(template, params)  # CloudFormation refuses these parameters before creating anything
    resources: dict[str, Any] = template["Resources"]
    root = template_path.parent

    # ClusterName: one name, a list (a,b) or * (netaudit.workflow.scope). The local stack creates
    # each listed cluster and the cluster each host names (a host without one joins the first):
    # with *, "default" and the hosts' clusters.
    scope = Scope.parse(params.get("ClusterName") or "default")
    cluster = scope.names[0] if scope.names else "default"
    # a host of a member account (its `account`) is that member's (netaudit_local.org), not this stack's
    own_hosts = {iid: h for iid, h in seams.hosts.items() if getattr(h, "account", "") in ("", ACCOUNT)}
    host_cluster = {iid: str(getattr(h, "cluster", "") or cluster) for iid, h in own_hosts.items()}
    clusters = list(dict.fromkeys([*scope.names, cluster, *host_cluster.values()]))
    bucket = "netaudit-evidence-local"
    document_name = "netaudit-probe"

    iam = boto3.client("iam", region_name=REGION)
    # each state machine runs with its own role, as SAM creates them: IAM decides its engine's calls
    role_arn, event_role_arn = (
        iam.create_role(
            RoleName=local_iam.role_name(STACK_NAME, logical),
            AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
        )["Role"]["Arn"]
        for logical in (MACHINE, EVENT_MACHINE)
    )
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=bucket)
    topic_arn = boto3.client("sns", region_name=REGION).create_topic(Name="netaudit-alerts")["TopicArn"]

    ssm = boto3.client("ssm", region_name=REGION)
    content = resources["ProbeDocument"]["Properties"]["Content"]
    ssm.create_document(
        Name=document_name,
        Content=json.dumps(content),
        DocumentType="Command",
        DocumentFormat="JSON",
    )
    seams.documents[document_name] = content

    backend, _vpc, subnet_id, sg_id = account_network(ACCOUNT, "10.0.0.0/16")
    for instance_id in own_hosts:
        ec2_instance(backend, instance_id, subnet_id, host_cluster[instance_id])

    ecs = boto3.client("ecs", region_name=REGION)
    ecs.put_account_setting(name="taskLongArnFormat", value="enabled")
    for name in clusters:
        ecs.create_cluster(clusterName=name)
    instances = register_instances(ecs, host_cluster)

    functions, resolve = local_resolver(template, params, bucket, topic_arn, document_name)

    for logical, props in deployed_functions(template).items():
        seams.handlers[function_name(logical)] = props["Handler"].rsplit(".", 1)[0]
    seams.environments.update(function_environments(template, resolve))

    definition = for_moto(render_definition(template, resolve, root))
    sfn = boto3.client("stepfunctions", region_name=REGION)
    name = resources[MACHINE]["Properties"].get("Name")
    machine_name = str(resolve(name)) if name else "netaudit"
    arn = sfn.create_state_machine(
        name=machine_name, definition=definition, roleArn=role_arn, type="STANDARD"
    )["stateMachineArn"]
    event_arn = ""
    if resolve.condition(resources[EVENT_MACHINE].get("Condition", "")):
        # no Name in the template: CloudFormation names it <stack>-<logical id>-<suffix>
        event_arn = sfn.create_state_machine(
            name=f"{STACK_NAME}-{EVENT_MACHINE}-local",
            definition=for_moto(render_definition(template, resolve, root, EVENT_MACHINE)),
            roleArn=event_role_arn,
            type=resources[EVENT_MACHINE]["Properties"]["Type"],
        )["stateMachineArn"]
    # Every AWS request of the functions and the state machine is now decided by IAM (iam/).
    machines = {MACHINE: arn, **({EVENT_MACHINE: event_arn} if event_arn else {})}
    local_iam.enable(seams, template, resolve, functions, machines)
    return LocalStack(
        seams=seams,
        state_machine_arn=arn,
        event_state_machine_arn=event_arn,
        cluster=cluster,
        bucket=bucket,
        topic_arn=topic_arn,
        document_name=document_name,
        functions=functions,
        parameters=params,
        container_instances=instances,
        subnet_id=subnet_id,
        security_group_id=sg_id,
        clusters=clusters,
        instance_clusters=host_cluster,
    )


MACHINE = "NetauditStateMachine"
EVENT_MACHINE = "EventAuditStateMachine"  # EXPRESS, the Pipe's target (EnableEventDrivenAudits)


def render_definition(
    template: Mapping[str, Any], resolve: Resolver, root: Path, machine: str = MACHINE
) -> str:
    """A state machine's definition as CloudFormation would create it: the DefinitionUri file
    with its DefinitionSubstitutions filled (asl-validator checks exactly this text)."""
    props = template["Resources"][machine]["Properties"]
    definition = (root / props["DefinitionUri"]).read_text(encoding="utf-8")
    subs = {k: str(resolve(v)) for k, v in props.get("DefinitionSubstitutions", {}).items()}
    missing = set(re.findall(r"\$\{(\w+)\}", definition)) - set(subs)
    if missing:
        raise ValueError(f"DefinitionSubstitutions lack {sorted(missing)}")
    return re.sub(r"\$\{(\w+)\}", lambda m: subs[m.group(1)], definition)


def placeholder_resolver(template: Mapping[str, Any], overrides: Mapping[str, Any] | None = None) -> Resolver:
    """A Resolver with local names for every resource (no moto needed)."""
    physical: dict[str, str] = {}
    for logical, res in template["Resources"].items():
        if res.get("Type") == FUNCTION_TYPE:
            physical[logical] = function_name(logical)
            physical[f"{logical}.Arn"] = function_arn(logical)
        else:
            physical[logical] = f"netaudit-{logical.lower()}"
            physical[f"{logical}.Arn"] = f"arn:aws:s3:::netaudit-{logical.lower()}"
    return Resolver(template, parameter_values(template, overrides or {}), physical, PSEUDO)


def wait_for_end(sfn: Any, arn: str, timeout_s: float) -> dict[str, Any]:
    """DescribeExecution once the execution is no longer RUNNING (TimeoutError after timeout_s)."""
    deadline = time.monotonic() + timeout_s
    pause = 0.01  # grows to 0.2 s: each DescribeExecution holds the GIL the execution's threads need
    while (desc := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {arn.rsplit(':', 1)[-1]} still RUNNING after {timeout_s} s")
        time.sleep(pause)
        pause = min(0.2, pause * 1.25)
    return dict(desc)


def run_execution(
    stack: LocalStack, name: str, payload: Mapping[str, Any] | None = None, timeout_s: float = 60
) -> ExecutionResult:
    """Start an execution (always named: the name is the correlation id) and wait for its end."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.start_execution(
        stateMachineArn=stack.state_machine_arn, name=name, input=json.dumps(payload or {})
    )["executionArn"]
    desc = wait_for_end(sfn, arn, timeout_s)
    history = execution_history.execution_history(sfn, arn)
    children = sfn_strict.child_histories(arn)
    for child in (history, *children):
        check_payload_sizes(child)
    check_express_durations(children)
    output = json.loads(desc["output"]) if desc.get("output") else None
    return ExecutionResult(
        status=desc["status"],
        output=output,
        error=desc.get("error"),
        cause=desc.get("cause"),
        history=history,
        execution_arn=arn,
        children=children,
        janitor=execution_ended(stack, arn, name, desc["status"]),
    )


JANITOR_STATUSES = ("FAILED", "TIMED_OUT", "ABORTED")


def execution_ended(stack: LocalStack, arn: str, name: str, status: str) -> dict[str, Any] | None:
    """EventBridge's part, played locally: an execution that FAILED, TIMED_OUT or was ABORTED
    sends "Step Functions Execution Status Change"; the template's rule hands it to the janitor
    (CanaryJanitorFunction), invoked here through the same Lambda seam as every other function."""
    if status not in JANITOR_STATUSES:
        return None
    janitor = function_name("CanaryJanitorFunction")
    if janitor not in stack.seams.handlers:
        return None
    event = {
        "version": "0",
        "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states",
        "account": ACCOUNT,
        "region": REGION,
        "resources": [arn],
        "detail": {
            "executionArn": arn,
            "stateMachineArn": stack.state_machine_arn,
            "name": name,
            "status": status,
        },
    }
    headers: dict[str, str] = {}
    body = stack.seams.invoke(janitor, json.dumps(event).encode(), headers)
    result: dict[str, Any] = json.loads(body)
    return result
