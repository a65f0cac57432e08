"""Applies every targets/aws/*/security-groups.json to a local moto server (127.0.0.1 only)
through boto3 and reads the security groups back: each group the template declares must exist
with exactly the IPv4 CIDR ingress rules the template gives it. An identity whose rules fill
several groups (SgNAME, SgNAME2, …, all tagged with the identity) has each checked on its own,
by its Name tag. (moto's CloudFormation drops
egress rules and inline IPv6 ingress, so those are checked by the reader tests instead.)
A policy split into numbered templates (security-groups.json, security-groups-2.json, …) is
created in order into one VPC: the later templates import the groups the first ones export,
and the standalone rules must then show up on those groups.
Usage: moto-apply.py ENDPOINT POLICY_FOLDER..."""
import pathlib
import re
import json
import sys

import boto3

endpoint = sys.argv[1]
session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
ec2 = session.client("ec2", endpoint_url=endpoint)
cloudformation = session.client("cloudformation", endpoint_url=endpoint)
failed = 0


def with_ports_for_moto(rule):
    """moto reads FromPort on every rule (KeyError otherwise); AWS ignores ports for protocols
    other than tcp, udp and icmp, and cfn-lint warns when they are given, so the templates omit
    them: add -1 for moto only."""
    if "IpProtocol" in rule and "FromPort" not in rule:
        return {**rule, "FromPort": -1, "ToPort": -1}
    return rule


def numbered(path):
    match = re.search(r"-(\d+)\.json$", path.name)
    return int(match.group(1)) if match else 1


for number, folder in enumerate(sys.argv[2:]):
    paths = sorted(pathlib.Path(folder).glob("security-groups*.json"), key=numbered)
    vpc = ec2.create_vpc(CidrBlock="10.%d.0.0/16" % (number % 200))["Vpc"]["VpcId"]
    templates = []
    for part, path in enumerate(paths):
        template = json.load(open(path))
        templates.append((path, template))
        applied = json.loads(json.dumps(template))
        for resource in applied["Resources"].values():
            properties = resource["Properties"]
            for key in ("SecurityGroupIngress", "SecurityGroupEgress"):
                if key in properties:
                    properties[key] = [with_ports_for_moto(rule) for rule in properties[key]]
            if resource["Type"] in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
                resource["Properties"] = with_ports_for_moto(properties)
        stack = "palisade-check-%d-%d-%s" % (number, part, pathlib.Path(folder).name)
        parameters = [{"ParameterKey": "VpcId", "ParameterValue": vpc}] if "Parameters" in template else []
        cloudformation.create_stack(StackName=stack, TemplateBody=json.dumps(applied), Parameters=parameters)
        status = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
        if status != "CREATE_COMPLETE":
            print(f"FAIL: {path}: stack {status}")
            failed += 1
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    # Each group by its Name tag: an identity's groups share palisade:identity, and a segment's
    # group (palisade:segment) has none.
    by_identity = {}
    for group in groups:
        tags = {tag["Key"]: tag["Value"] for tag in group.get("Tags", [])}
        if "palisade:policy" in tags:
            by_identity[tags["Name"]] = group
    identity_of = {}
    for path, template in templates:
        for name, resource in template["Resources"].items():
            if resource["Type"] == "AWS::EC2::SecurityGroup":
                identity_of[name] = next(tag["Value"] for tag in resource["Properties"]["Tags"] if tag["Key"] == "Name")
    exports = {output["Export"]["Name"]: output["Value"]["Fn::GetAtt"][0]
               for _, template in templates for output in template.get("Outputs", {}).values() if "Export" in output}
    # Every group with its inline IPv4 CIDR ingress, and the number of standalone ingress rules
    # that name it as their group (moto keeps those as group-to-group permissions).
    standalone = {}
    for path, template in templates:
        for resource in template["Resources"].values():
            if resource["Type"] == "AWS::EC2::SecurityGroupIngress":
                reference = resource["Properties"]["GroupId"]
                logical = exports[reference["Fn::ImportValue"]] if "Fn::ImportValue" in reference else reference["Fn::GetAtt"][0]
                standalone[identity_of[logical]] = standalone.get(identity_of[logical], 0) + 1
    for path, template in templates:
        for name, resource in template["Resources"].items():
            if resource["Type"] != "AWS::EC2::SecurityGroup":
                continue
            identity = identity_of[name]
            group = by_identity.get(identity)
            if group is None:
                print(f"FAIL: {path}: security group {identity} missing")
                failed += 1
                continue
            wanted = {(rule["IpProtocol"], rule.get("FromPort", -1), rule.get("ToPort", -1), rule["CidrIp"])
                      for rule in resource["Properties"].get("SecurityGroupIngress", []) if "CidrIp" in rule}
            got = {(permission["IpProtocol"], permission.get("FromPort", -1), permission.get("ToPort", -1), ip_range["CidrIp"])
                   for permission in group["IpPermissions"] for ip_range in permission.get("IpRanges", [])}
            if wanted != got:
                print(f"FAIL: {path}: {identity}: moto has {sorted(got - wanted)} extra and lacks {sorted(wanted - got)}")
                failed += 1
            pairs = sum(len(permission.get("UserIdGroupPairs", [])) for permission in group["IpPermissions"])
            if pairs < standalone.get(identity, 0):
                print(f"FAIL: {path}: {identity}: moto has {pairs} group-to-group ingress rules, the templates {standalone[identity]}")
                failed += 1
    print(f"{folder}: {len(paths)} template(s), {len(by_identity)} security groups read back")
sys.exit(1 if failed else 0)
