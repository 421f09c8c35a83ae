import { describe, expect, it } from 'vitest';
import { anyFilterMatches, filterMatches, isValidFilterSyntax } from '../../functions/domain/event-matching.js';

describe('event type matching', () => {
  it.each([
    ['kyc.verification.success', 'kyc.verification.success', true],
    ['kyc.verification.success', 'kyc.verification.failure', false],
    ['kyc.verification.success', 'kyc.verification.success.extra', false],
    ['card*', 'card.created', true],
    ['card*', 'cards.anything', true],
    ['card*', 'kyc.verification.success', false],
    ['kyc.verification.*', 'kyc.verification.timeout', true],
    ['kyc.verification.*', 'kyc.other', false],
    ['*', 'transactions', true],
    ['transactions', 'transactions', true],
    ['transactions', 'transaction', false],
  ])('%s against %s -> %s', (filter, type, expected) => {
    expect(filterMatches(filter, type)).toBe(expected);
  });

  it('matches when any filter of a subscription does', () => {
    expect(anyFilterMatches(['transactions', 'card*'], 'card.created')).toBe(true);
    expect(anyFilterMatches(['transactions', 'card*'], 'account.history.ready')).toBe(false);
    expect(anyFilterMatches([], 'card.created')).toBe(false);
  });

  it('accepts * only at the end of a filter', () => {
    expect(isValidFilterSyntax('card*')).toBe(true);
    expect(isValidFilterSyntax('*')).toBe(true);
    expect(isValidFilterSyntax('*.created')).toBe(false);
    expect(isValidFilterSyntax('ca*rd')).toBe(false);
    expect(isValidFilterSyntax('')).toBe(false);
  });
});
