import { Fn, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Where a function attached to the egress VPC runs: its private subnets, its security group. */
export interface FunctionNetwork {
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
}

export interface StaticEgressProps {
  /** How many zones (the first ones the stack sees), or which, by name. One NAT gateway and Elastic IP each. */
  readonly availabilityZones: number | readonly string[];
  /** The flow logs' retention. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the flow log group when the construct goes. */
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * Fixed source addresses for outbound HTTP: a VPC whose private subnets reach the internet only
 * through one NAT gateway per zone, each with an Elastic IP this construct allocates (CfnEIP, one
 * logical id per zone index: the same addresses on every deploy of the stack, until the stack or
 * that zone goes). Functions given `network` run in the private subnets.
 *
 * AWS services from those subnets: DynamoDB and S3 through gateway endpoints, which are free and
 * keep the sender's per-attempt table writes and its body reads off the NAT's $0.045 per GB. SQS
 * (ChangeMessageVisibility after a failure, GetQueueAttributes while parking) and Secrets Manager
 * (GetSecretValue, cached 15 minutes per container) go through the NAT: a few KB per call, so even
 * 10 million such calls a month at 4 KB are about 40 GB, $1.80. Interface endpoints for the two
 * would cost $0.01 per hour per zone each, $7.20 a month per zone per service (2 services, 2
 * zones: $28.80), for traffic that costs cents. CloudWatch Logs (the function's lines and its EMF
 * metrics) and the SQS polling of the event source mapping are Lambda's own, outside the VPC.
 * The figures: https://aws.amazon.com/vpc/pricing/ and https://aws.amazon.com/privatelink/pricing/.
 */
export class StaticEgress extends Construct {
  readonly vpc: ec2.Vpc;
  readonly elasticIps: ec2.CfnEIP[];
  readonly securityGroup: ec2.SecurityGroup;
  readonly flowLogGroup: logs.LogGroup;
  /** The Elastic IPs' addresses, comma-separated (a token: known once deployed). */
  readonly publicIps: string;

  constructor(scope: Construct, id: string, props: StaticEgressProps) {
    super(scope, id);
    const zones = props.availabilityZones;
    const count = typeof zones === 'number' ? zones : zones.length;

    this.elasticIps = Array.from({ length: count }, (_, i) => {
      const eip = new ec2.CfnEIP(this, `ElasticIp${i + 1}`, { domain: 'vpc' });
      // The address tenants allow: deleted with the stack, like everything but the data.
      eip.tags.setTag('Name', `${this.node.path}/ElasticIp${i + 1}`);
      return eip;
    });
    this.publicIps = Fn.join(
      ',',
      this.elasticIps.map((e) => e.attrPublicIp),
    );

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: props.logRemovalPolicy,
    });

    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr('10.0.0.0/16'),
      ...(typeof zones === 'number' ? { maxAzs: zones } : { availabilityZones: [...zones] }),
      natGateways: count,
      // In public subnet order, which is zone order: ElasticIp1 is the first zone's.
      natGatewayProvider: ec2.NatProvider.gateway({ eipAllocationIds: this.elasticIps.map((e) => e.attrAllocationId) }),
      subnetConfiguration: [
        // A NAT gateway needs one address of its subnet; /28 is the smallest subnet AWS allows.
        { name: 'Nat', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 28 },
        // Lambda shares a Hyperplane ENI per subnet and security group: a /22 is room to spare.
        { name: 'Egress', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      gatewayEndpoints: {
        DynamoDb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }] },
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3, subnets: [{ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }] },
      },
      // Restricting the default security group is a custom resource (a Lambda of CDK's with a
      // managed-policy role); nothing here uses that group: the functions get `securityGroup`.
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        All: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });

    // Egress only: nothing connects to the functions; they connect out (receivers, AWS APIs).
    this.securityGroup = new ec2.SecurityGroup(this, 'FunctionSecurityGroup', {
      vpc: this.vpc,
      description: 'Webhook functions that POST to receivers: outbound only, no inbound rule',
      allowAllOutbound: true,
    });
  }

  get network(): FunctionNetwork {
    return {
      vpc: this.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
    };
  }

  /**
   * What Lambda needs of a function's role to attach it to the VPC: the actions of the AWS
   * managed AWSLambdaENIManagementAccess (AWSLambdaVPCAccessExecutionRole without its logs:* on
   * every log group; the role already writes its own group).
   * https://docs.aws.amazon.com/lambda/latest/dg/configuring-vpc.html#configuring-vpc-permissions
   */
  grantNetworkInterfaces(role: iam.Role): void {
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        resources: ['*'],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'X-Ray tracing, and the VPC attachment: Lambda creates and deletes its Hyperplane ENIs with the role (ec2:*NetworkInterface* and DescribeSubnets, as AWS managed AWSLambdaENIManagementAccess grants them, on "*").',
    });
  }
}
