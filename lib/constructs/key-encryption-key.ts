import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface KeyEncryptionKeyProps {
  /** The table whose items the ring seals; its name goes in the ring's description, for the day the stack is gone. */
  readonly table: dynamodb.ITable;
  /** The table's removal policy: the ring must outlive every table it sealed items of. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The envelope storage's key ring: one Secrets Manager secret whose generated value is
 * `{"current":"k1","k1":"<64 random characters>"}` (the shape functions/domain/envelope.ts parses).
 *
 * It has no fixed name: CloudFormation generates one at each create. A fixed name made a second
 * create fail whenever an earlier ring was still there, and one always is: kept by `cdk destroy`
 * or a failed create's rollback (RETAIN), or, deleted, holding its name through Secrets Manager's
 * recovery window (CDK SecretProps.secretName:
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_secretsmanager.SecretProps.html).
 *
 * Its removal policy is the table's, because a sealed secret is a table item that only this ring
 * opens: a table kept without its ring would hold secrets nobody can read, and a ring kept without
 * its table guards nothing. The description names the table, so the pair can be found after the
 * stack that made them is gone (docs/runbook.md, "cdk destroy").
 */
export class KeyEncryptionKey extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: KeyEncryptionKeyProps) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: `Key-encryption key ring sealing the webhook signing secrets in DynamoDB table ${props.table.tableName} (envelope storage)`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ current: 'k1' }),
        generateStringKey: 'k1',
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy: props.removalPolicy,
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The ring is rotated by adding a key and making it current (docs/operators/sizing-and-quotas.md, "Signing secret storage"); a Secrets Manager rotation would replace the ring and lose the keys older items are sealed with.',
    });
  }
}
