"""A deployed aws2bq stack in the sandbox's CloudFormation (real boto3 create_stack)."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aws2bq.sandbox import Sandbox

TEMPLATE = Path(__file__).resolve().parents[3] / "deploy" / "template.yaml"

CONFIG_TOML = """
[streams.orders]
table = "Orders"
export_bucket = "exports-1"
cadence = "incremental"
mode = "merge"

[streams.shop]
instance = "shop"
export_bucket = "exports-1"
iam_role_arn = "arn:aws:iam::123456789012:role/aws2bq-rds-export"
kms_key_id = "alias/aws2bq"
"""


#: The subjectId of a project's Storage Transfer Service agent (a number, as Google gives it).
STS_SUBJECT = "123456789012345678901"


def deploy(sandbox: Sandbox, name: str, params: dict[str, str]) -> dict[str, Any]:
    """Create the stack and wait for it; return its description (with Outputs as a dict)."""
    s3 = sandbox.client("s3")
    code_bucket = f"{name}-code"
    s3.create_bucket(Bucket=code_bucket)
    # A tiny stand-in zip: moto stores the code, it does not run it here.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("aws2bq/__init__.py", "")
    s3.put_object(Bucket=code_bucket, Key="aws2bq-lambda.zip", Body=buf.getvalue())
    cfn = sandbox.client("cloudformation")
    cfn.create_stack(
        StackName=name,
        TemplateBody=TEMPLATE.read_text(),
        Parameters=[
            {"ParameterKey": k, "ParameterValue": v}
            for k, v in {"CodeS3Bucket": code_bucket, "NamePrefix": name, **params}.items()
        ],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    deadline = time.monotonic() + 60
    while True:
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        if not stack["StackStatus"].endswith("_IN_PROGRESS") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    stack["outputs"] = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    return stack


@pytest.fixture(scope="session")
def full_stack(sandbox: Sandbox) -> dict[str, Any]:
    """Everything on: DynamoDB + RDS instance + Aurora cluster, a new KMS key, 2 stream rules."""
    ddb = sandbox.client("dynamodb")
    ddb.create_table(
        TableName="DeployOrders",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table_arn = ddb.describe_table(TableName="DeployOrders")["Table"]["TableArn"]
    params = {
        "DynamoDBTableArns": f"{table_arn},arn:aws:dynamodb:us-east-1:123456789012:table/Other",
        "RdsInstanceArns": "arn:aws:rds:us-east-1:123456789012:db:shop",
        "RdsClusterArns": "arn:aws:rds:us-east-1:123456789012:cluster:aurora-1",
        "CreateKmsKey": "true",
        "StsSubjectId": STS_SUBJECT,
        "Stream1Name": "orders",
        "Stream2Name": "shop",
        "Stream2Schedule": "rate(1 day)",
        "AllStreamsSchedule": "rate(6 hours)",
        "ConfigToml": CONFIG_TOML,
        "Warehouse": "bigquery://analytics/raw",
    }
    stack = deploy(sandbox, "a2bfull", params)
    stack["table_arn"] = table_arn
    return stack


@pytest.fixture(scope="session")
def policy_of(sandbox: Sandbox) -> Callable[[str], list[dict[str, Any]]]:
    """The statements of a role's inline policies, as deployed."""
    import ast
    import json

    iam = sandbox.client("iam")

    def statements(role: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
            if isinstance(document, str):
                # moto 5.2 stores a CloudFormation inline policy as the Python repr of the
                # dict; AWS returns JSON. Accept both.
                try:
                    document = json.loads(document)
                except ValueError:
                    document = ast.literal_eval(document)
            # moto keeps an Fn::If that chose AWS::NoValue as null in the list; AWS drops it.
            out.extend(s for s in document["Statement"] if s is not None)
        return out

    return statements
