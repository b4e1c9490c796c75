// Reading the server's errors by `extensions.code` (docs/api.md §3).
import type { CombinedError } from 'urql';

type GraphQLError = CombinedError['graphQLErrors'][number];

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'QUERY_TOO_COMPLEX'
  | 'QUERY_TOO_DEEP'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

export const codeOf = (error: GraphQLError): ErrorCode | undefined =>
  error.extensions?.code as ErrorCode | undefined;

export function findError(error: CombinedError | undefined, code: ErrorCode): GraphQLError | undefined {
  return error?.graphQLErrors.find((e) => codeOf(e) === code);
}

// A BAD_USER_INPUT (or CONFLICT) naming this input path, e.g. `body` or
// `filter.search`.
export function fieldError(error: CombinedError | undefined, field: string): string | undefined {
  return error?.graphQLErrors.find(
    (e) => (codeOf(e) === 'BAD_USER_INPUT' || codeOf(e) === 'CONFLICT') && e.extensions?.field === field,
  )?.message;
}

// One line for anything else: the code first, then the server's message.
export function describe(error: CombinedError): string {
  const first = error.graphQLErrors[0];
  if (first) {
    const code = codeOf(first) ?? 'ERROR';
    const scope = first.extensions?.scope ? ` (needs ${String(first.extensions.scope)})` : '';
    return `${code}: ${first.message}${scope}`;
  }
  // graphql-ws reports a closed socket as its CloseEvent.
  const closed = error.networkError as unknown as { code?: number; reason?: string } | undefined;
  if (typeof closed?.code === 'number') {
    return `WebSocket closed (${closed.code}${closed.reason ? `: ${closed.reason}` : ''})`;
  }
  return `Network error: ${error.networkError?.message ?? error.message}`;
}
