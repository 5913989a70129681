"""The local account every local run stands for: its region, id and process environment."""

REGION = "us-east-1"
ACCOUNT = "123456789012"

LOCAL_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_SERVICE_NAME": "ecs-netaudit",
    "POWERTOOLS_METRICS_NAMESPACE": "EcsNetaudit",
    "POWERTOOLS_DEV": "false",
    "MOTO_ALLOW_NONEXISTENT_REGION": "true",
    # moto's catalogue of ~1,300 public AMIs (each with an EBS snapshot) is built when EC2 starts;
    # no local run reads an AMI (netaudit_local.instances.ec2_instance): not loading it saves ~0.1 s
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}
