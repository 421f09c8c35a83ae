/**
 * Subscription filters name event types exactly or end in `*` (`card*`, `kyc.verification.*`,
 * `*`), as seed 002 allows. A `*` anywhere but the end is not a filter we accept.
 */

export function isWildcard(filter: string): boolean {
  return filter.endsWith('*');
}

export function isValidFilterSyntax(filter: string): boolean {
  const star = filter.indexOf('*');
  return filter.length > 0 && (star === -1 || star === filter.length - 1);
}

export function filterMatches(filter: string, eventType: string): boolean {
  if (isWildcard(filter)) return eventType.startsWith(filter.slice(0, -1));
  return filter === eventType;
}

export function anyFilterMatches(filters: readonly string[], eventType: string): boolean {
  return filters.some((f) => filterMatches(f, eventType));
}
