/**
 * API Gateway keeps the caller's spelling of header names; HTTP says case does not matter. Its own
 * module, free of imports, because the authorizer needs it without http.ts's body parsing (zod).
 */
export function headerValue(headers: Record<string, string | undefined> | null | undefined, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(headers ?? {})) if (k.toLowerCase() === lower && v !== undefined) return v;
  return undefined;
}
