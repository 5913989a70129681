"""The local stand-in for AWS: moto with one seam per service the project needs beyond it
(Lambda, ECS, SSM, Step Functions) and the execution-history reader. Never imported by a Lambda."""
