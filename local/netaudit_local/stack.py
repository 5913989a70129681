"""The template's resources, created on moto: what a deploy would create, locally.

Reads template.yaml and statemachine/: the ASL with its DefinitionSubstitutions resolved to
local function ARNs and parameter values, the SSM document from ProbeDocument, the evidence
bucket, the alert topic, an ECS cluster with one container instance per host.
"""

import json
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from netaudit_local import history as execution_history
from netaudit_local.aws_seams import ACCOUNT, REGION, Seams
from netaudit_local.template import TEMPLATE_PATH, load_template

FUNCTION_TYPE = "AWS::Serverless::Function"


@dataclass
class LocalStack:
    seams: Seams
    state_machine_arn: str
    cluster: str
    bucket: str
    topic_arn: str
    document_name: str
    functions: dict[str, str]  # logical id -> function name
    parameters: dict[str, str]
    container_instances: dict[str, str] = field(default_factory=dict)  # instance id -> ARN
    subnet_id: str = ""
    security_group_id: str = ""

    def client(self, service: str) -> Any:
        return boto3.client(service, region_name=REGION)


STATE_PAYLOAD_LIMIT = 256 * 1024  # Step Functions: a state's input or output, in bytes


class PayloadLimitExceeded(AssertionError):
    """A state's input or output is over 256 KiB: AWS fails such an execution with
    States.DataLimitExceeded (which no Catch can take); moto does not check it, this runner does."""


def check_payload_sizes(history: Sequence[Mapping[str, Any]]) -> None:
    for event in history:
        for key, details in event.items():
            if not (key.endswith("EventDetails") and isinstance(details, Mapping)):
                continue
            for part in ("input", "output"):
                size = len(str(details.get(part) or "").encode())
                if size > STATE_PAYLOAD_LIMIT:
                    raise PayloadLimitExceeded(
                        f"{event['type']} {details.get('name', '')}: {part} is {size} bytes "
                        f"(Step Functions allows {STATE_PAYLOAD_LIMIT})"
                    )


@dataclass
class ExecutionResult:
    status: str
    output: dict[str, Any] | None
    error: str | None
    cause: str | None
    history: list[dict[str, Any]]
    execution_arn: str

    @property
    def transitions(self) -> int:
        return execution_history.transitions(self.history)

    @property
    def lambda_invocations(self) -> int:
        return execution_history.lambda_calls(self.history)

    def entered(self) -> list[str]:
        return [
            e["stateEnteredEventDetails"]["name"] for e in self.history if e["type"].endswith("StateEntered")
        ]


def parameter_values(template: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, str]:
    values = {k: str(v.get("Default", "")) for k, v in template.get("Parameters", {}).items()}
    values.update({k: str(v) for k, v in overrides.items()})
    return values


def function_name(logical_id: str) -> str:
    return f"netaudit-{logical_id}"


def function_arn(logical_id: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function_name(logical_id)}"


class Resolver:
    """Just enough CloudFormation to resolve the template's Refs, GetAtts and Subs locally."""

    def __init__(self, params: Mapping[str, str], physical: Mapping[str, str]) -> None:
        self.params, self.physical = params, physical

    def ref(self, name: str) -> str:
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::Partition": "aws",
            "AWS::StackName": "netaudit-local",
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.params:
            return self.params[name]
        return self.physical[name]

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical, _, attr = arg.partition(".") if isinstance(arg, str) else (arg[0], ".", arg[1])
                return self.physical[f"{logical}.{attr}"]
            if key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), text)
        return value

    def _sub(self, name: str) -> str:
        if "." in name:
            return self.physical[name]
        return self.ref(name)


def create_stack(
    seams: Seams,
    parameters: Mapping[str, Any] | None = None,
    template_path: Path = TEMPLATE_PATH,
) -> LocalStack:
    template = load_template(template_path)
    params = parameter_values(template, parameters or {})
    resources: dict[str, Any] = template["Resources"]
    root = template_path.parent

    cluster = params.get("ClusterName") or "default"
    bucket = "netaudit-evidence-local"
    document_name = "netaudit-probe"

    iam = boto3.client("iam", region_name=REGION)
    role_arn = iam.create_role(
        RoleName="netaudit-local",
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": []}),
    )["Role"]["Arn"]
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

    ec2 = boto3.client("ec2", region_name=REGION)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg_id = ec2.create_security_group(GroupName="netaudit-canary", Description="canary", VpcId=vpc_id)[
        "GroupId"
    ]
    for instance_id in seams.hosts:
        _ec2_instance(ec2, instance_id, subnet_id, cluster)

    ecs = boto3.client("ecs", region_name=REGION)
    ecs.put_account_setting(name="taskLongArnFormat", value="enabled")
    ecs.create_cluster(clusterName=cluster)
    instances: dict[str, str] = {}
    for instance_id in seams.hosts:
        doc = json.dumps({"instanceId": instance_id, "region": REGION, "accountId": ACCOUNT})
        ci = ecs.register_container_instance(
            cluster=cluster,
            instanceIdentityDocument=doc,
            totalResources=[
                {"name": "CPU", "type": "INTEGER", "integerValue": 2048},
                {"name": "MEMORY", "type": "INTEGER", "integerValue": 3800},
            ],
        )["containerInstance"]
        instances[instance_id] = ci["containerInstanceArn"]

    functions = {k: function_name(k) for k, r in resources.items() if r.get("Type") == FUNCTION_TYPE}
    physical: dict[str, str] = {
        "EvidenceBucket": bucket,
        "EvidenceBucket.Arn": f"arn:aws:s3:::{bucket}",
        "AlertTopic": topic_arn,
        "ProbeDocument": document_name,
        "FunctionLogGroup": "/aws/lambda/netaudit-local",
    }
    for logical in functions:
        physical[logical] = function_name(logical)
        physical[f"{logical}.Arn"] = function_arn(logical)
    resolve = Resolver(params, physical)

    for logical, res in resources.items():
        if res.get("Type") == FUNCTION_TYPE:
            seams.handlers[function_name(logical)] = res["Properties"]["Handler"].rsplit(".", 1)[0]
    env_vars = template.get("Globals", {}).get("Function", {}).get("Environment", {}).get("Variables", {})
    seams.env.update({k: str(resolve(v)) for k, v in env_vars.items()})
    for res in resources.values():  # function-level variables (one process runs them all)
        if res.get("Type") == FUNCTION_TYPE:
            own = res["Properties"].get("Environment", {}).get("Variables", {})
            seams.env.update({k: str(resolve(v)) for k, v in own.items()})
    seams.env["POWERTOOLS_TRACE_DISABLED"] = "true"

    machine = next(r for r in resources.values() if r.get("Type") == "AWS::Serverless::StateMachine")
    props = machine["Properties"]
    definition = (root / props["DefinitionUri"]).read_text(encoding="utf-8")
    subs = {k: str(resolve(v)) for k, v in props.get("DefinitionSubstitutions", {}).items()}
    missing = set(re.findall(r"\$\{(\w+)\}", definition)) - set(subs)
    if missing:
        raise ValueError(f"DefinitionSubstitutions lack {sorted(missing)}")
    definition = re.sub(r"\$\{(\w+)\}", lambda m: subs[m.group(1)], definition)
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.create_state_machine(name="netaudit", definition=definition, roleArn=role_arn, type="STANDARD")[
        "stateMachineArn"
    ]
    return LocalStack(
        seams=seams,
        state_machine_arn=arn,
        cluster=cluster,
        bucket=bucket,
        topic_arn=topic_arn,
        document_name=document_name,
        functions=functions,
        parameters=params,
        container_instances=instances,
        subnet_id=subnet_id,
        security_group_id=sg_id,
    )


def _ec2_instance(ec2: Any, instance_id: str, subnet_id: str, cluster: str) -> None:
    """An EC2 instance in moto with the host's id (the container instance stands on it)."""
    from moto.ec2.models import ec2_backends

    created = ec2.run_instances(
        # an Amazon Linux 2 (arm64) image of moto's catalogue: its first one is Windows, and the
        # container instance's ecs.os-type attribute follows the image (hosts cannot probe Windows)
        ImageId="ami-0ec9fb22458dddf3d",
        MinCount=1,
        MaxCount=1,
        InstanceType="t4g.small",
        SubnetId=subnet_id,
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "ecs-netaudit:cluster", "Value": cluster}]}
        ],
    )["Instances"][0]["InstanceId"]
    backend = ec2_backends[ACCOUNT][REGION]
    for reservation in backend.reservations.values():
        for instance in reservation.instances:
            if instance.id == created:
                instance.id = instance_id


def run_execution(
    stack: LocalStack, name: str, payload: Mapping[str, Any] | None = None, timeout_s: float = 60
) -> ExecutionResult:
    """Start an execution (always named: the name is the correlation id) and wait for its end."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    arn = sfn.start_execution(
        stateMachineArn=stack.state_machine_arn, name=name, input=json.dumps(payload or {})
    )["executionArn"]
    deadline = time.monotonic() + timeout_s
    while True:
        desc = sfn.describe_execution(executionArn=arn)
        if desc["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            raise TimeoutError(f"execution {name} still RUNNING after {timeout_s} s")
        time.sleep(0.01)
    history: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
        history.extend(page["events"])
    check_payload_sizes(history)
    output = json.loads(desc["output"]) if desc.get("output") else None
    return ExecutionResult(
        status=desc["status"],
        output=output,
        error=desc.get("error"),
        cause=desc.get("cause"),
        history=history,
        execution_arn=arn,
    )
