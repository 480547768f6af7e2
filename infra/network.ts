/**
 * The functions in a VPC: one security group with no ingress and egress only on the TCP ports in
 * use (443 for the AWS APIs, plus the port of every origin the connections' providers call:
 * core/providers/binding.ts connectionOrigins), and the
 * network-interface permissions Lambda needs, written inline instead of the
 * AWSLambdaVPCAccessExecutionRole managed policy (which also lets a function create and write to
 * every log group of the account).
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { originPort, type Origin } from '../core/http/origins.js';
import { PRODUCT } from '../core/names.js';

/** The AWS APIs (Secrets Manager, SSM, Lambda, STS, the custom resource's S3 response URL). */
export const AWS_API_PORT = 443;

/** The egress ports for the origins the functions call, and the AWS APIs', sorted. */
export function egressPorts(origins: readonly Origin[]): number[] {
  return [...new Set([AWS_API_PORT, ...origins.map(originPort)])].sort((a, b) => a - b);
}

export interface SecurityGroupProps {
  readonly vpc: ec2.IVpc;
  readonly ports: readonly number[];
  /** Also open each port to ::/0. */
  readonly ipv6: boolean;
}

export function createFunctionsSecurityGroup(scope: Construct, props: SecurityGroupProps): ec2.SecurityGroup {
  const sg = new ec2.SecurityGroup(scope, 'FunctionsSecurityGroup', {
    vpc: props.vpc,
    // Unchanged wording, though every provider's ports are opened now: a security group's
    // description cannot change without replacing the group (and the functions' network interfaces).
    description: `${PRODUCT} functions: HTTPS to AWS APIs and TigerGraph, plus the TigerGraph ports`,
    allowAllOutbound: false,
    allowAllIpv6Outbound: false,
  });
  for (const port of props.ports) {
    sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(port), `TCP ${port} out`);
    if (props.ipv6) sg.addEgressRule(ec2.Peer.anyIpv6(), ec2.Port.tcp(port), `TCP ${port} out (IPv6)`);
  }
  return sg;
}

/**
 * What Lambda does with the function's role to attach it to the VPC (the EC2 part of
 * AWSLambdaVPCAccessExecutionRole). DescribeNetworkInterfaces works only on `*`; the others are
 * called by Lambda on interfaces it names at run time.
 */
export function networkInterfaceStatement(): iam.PolicyStatement {
  return new iam.PolicyStatement({
    actions: [
      'ec2:AssignPrivateIpAddresses',
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
      'ec2:UnassignPrivateIpAddresses',
    ],
    resources: ['*'],
  });
}
