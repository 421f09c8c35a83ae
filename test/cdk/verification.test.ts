import { App } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { VERIFICATION_MODE_ENV } from '../../functions/domain/verification.js';
import { VERIFICATION_CONTEXT_FLAG, verificationSetting } from '../../lib/webhook-delivery.js';
import { buildStack, cdkJsonContext } from './support.js';

/**
 * The endpoint verification setting's default follows the CDK feature-flag pattern: this
 * repository's cdk.json sets the flag (a new deployment gets `challenge`), an app without it keeps
 * `none` (an upgrade delivers as before), and an explicit prop wins.
 */

const scopeWith = (context: Record<string, unknown>) => new Construct(new App({ context }), 'Scope');

describe('endpoint verification setting', () => {
  it('is challenge with the flag cdk.json sets, none without it, and the prop when given', () => {
    expect(cdkJsonContext()[VERIFICATION_CONTEXT_FLAG]).toBe(true);
    expect(verificationSetting(scopeWith(cdkJsonContext()), undefined)).toBe('challenge');
    expect(verificationSetting(scopeWith({}), undefined)).toBe('none');
    expect(verificationSetting(scopeWith({}), 'reachability')).toBe('reachability');
    expect(verificationSetting(scopeWith(cdkJsonContext()), 'none')).toBe('none');
    expect(() => verificationSetting(scopeWith({}), 'strict' as never)).toThrow(
      /verification must be one of none, reachability, challenge/,
    );
  });

  it("reaches the stack's api function alone (the sender reads each verification's mode from its subscription)", () => {
    const resources = buildStack().template.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
    const api = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.[VERIFICATION_MODE_ENV] !== undefined,
    );
    expect(api.length).toBe(1);
    expect(String(api[0]!.Properties.Description)).toMatch(/^Webhook subscriptions/);
    for (const f of api) expect(f.Properties.Environment.Variables[VERIFICATION_MODE_ENV]).toBe('challenge');
  }, 180_000);
});
