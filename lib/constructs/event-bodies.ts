import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface EventBodiesProps {
  /** Days a body is kept: the table's retention, so a body lasts as long as its event. */
  readonly retentionDays: number;
  /** RETAIN (the default) keeps the bucket after the stack; DESTROY empties and deletes it. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The bucket for event bodies too large for a DynamoDB item (over about 392 KB; events go up to
 * 1 MiB): the API and the fan-out put them, the sender reads them, and a lifecycle rule expires
 * them with the retention. Only such events touch it. Its name is CloudFormation's, so a stack
 * destroyed (its bucket retained) deploys again.
 */
export class EventBodies extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: EventBodiesProps) {
    super(scope, id);
    const destroy = props.removalPolicy === RemovalPolicy.DESTROY;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'expire-with-retention',
          expiration: Duration.days(props.retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.removalPolicy,
      // CloudFormation cannot delete a bucket with objects in it.
      autoDeleteObjects: destroy,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Objects are written and read only by the pipeline roles and expire with the retention; CloudTrail data events can be turned on by the operator if object access must be audited.',
    });
  }

  /** s3:PutObject under the bodies' prefix. */
  grantPut(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('bodies/*')] }),
    );
  }

  /**
   * s3:GetObject under the prefix, and s3:ListBucket: without it S3 answers a missing key with 403,
   * not 404, and an expired body would look like a fault
   * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, Permissions).
   */
  grantRead(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects('bodies/*')] }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      // No s3:prefix condition: S3 decides 404 or 403 for GetObject without one in the request.
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
  }
}
