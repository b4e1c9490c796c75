// The urql client: queries and mutations over HTTP (`<server>/graphql`),
// subscriptions over graphql-ws (`<server>/graphql/ws`), the normalized
// cache, and two exchanges for the server's error codes.
import {
  Client,
  fetchExchange,
  makeOperation,
  mapExchange,
  subscriptionExchange,
  type Exchange,
  type Operation,
} from 'urql';
import { createClient as createWSClient } from 'graphql-ws';
import { delay, filter, fromValue, merge, mergeMap, pipe, makeSubject, takeUntil } from 'wonka';
import { makeCacheExchange } from './cache';
import { findError } from './errors';
import { httpUrl, wsUrl, type Settings } from './settings';
import { setStatus } from './status';

// RATE_LIMITED (HTTP 429): nothing ran, so the operation is sent again once
// `extensions.retryAfter` seconds (or the Retry-After header) have passed.
// Meanwhile the caller keeps `fetching: true` and a banner counts down.
const MAX_RATE_LIMIT_RETRIES = 5;

function rateLimitExchange(): Exchange {
  return ({ forward }) =>
    (operations$) => {
      const { source: retries$, next: retry } = makeSubject<Operation>();
      const delayed$ = pipe(
        retries$,
        mergeMap((operation) => {
          // Stop waiting when the operation is torn down or sent anew.
          const superseded$ = pipe(
            operations$,
            filter((op) => (op.kind === 'teardown' || op.kind === 'query') && op.key === operation.key),
          );
          return pipe(fromValue(operation), delay(operation.context.rateLimitWait as number), takeUntil(superseded$));
        }),
      );
      return pipe(
        merge([operations$, delayed$]),
        forward,
        filter((result) => {
          const limited = findError(result.error, 'RATE_LIMITED');
          const operation = result.operation;
          const attempt = (operation.context.rateLimitAttempt as number | undefined) ?? 0;
          // In a subscription RATE_LIMITED means events were dropped: shown, not retried.
          if (!limited || operation.kind === 'subscription' || attempt >= MAX_RATE_LIMIT_RETRIES) return true;
          const header = result.error?.response?.headers?.get?.('Retry-After');
          const seconds = Number(limited.extensions?.retryAfter ?? header ?? 1) || 1;
          const wait = Math.max(1, seconds) * 1000;
          setStatus({ rateLimitedUntil: Date.now() + wait });
          retry(
            makeOperation(operation.kind, operation, {
              ...operation.context,
              rateLimitAttempt: attempt + 1,
              rateLimitWait: wait,
            }),
          );
          return false;
        }),
      );
    };
}

// UNAUTHENTICATED (HTTP 401): the token is missing, expired or refused; the
// banner points to the settings. Any answer without it clears the banner.
const authExchange = mapExchange({
  onResult(result) {
    if (findError(result.error, 'UNAUTHENTICATED') || result.error?.response?.status === 401) {
      setStatus({ unauthenticated: 'The server refused the token (UNAUTHENTICATED).' });
    } else if (!result.error?.networkError && result.operation.kind !== 'subscription') {
      setStatus({ unauthenticated: null });
    }
  },
});

export function makeClient(settings: Settings): { client: Client; dispose: () => void } {
  const authorization = settings.token ? `Bearer ${settings.token}` : undefined;
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};

  const ws = createWSClient({
    url: wsUrl(settings),
    connectionParams: headers,
    lazy: true,
    retryAttempts: Infinity,
    retryWait: (retries) => new Promise((resolve) => setTimeout(resolve, Math.min(2 ** retries, 30) * 1000)),
    // 4403: the token was refused; retrying would not help.
    shouldRetry: (event) => !(event instanceof CloseEvent && event.code === 4403),
    on: {
      connecting: () => setStatus({ socket: 'connecting' }),
      connected: () => setStatus({ socket: 'connected' }),
      closed: (event) => {
        setStatus({ socket: 'closed' });
        if ((event as CloseEvent).code === 4403) {
          setStatus({ unauthenticated: 'The live connection was refused (close 4403): the token is not accepted.' });
        }
      },
    },
  });

  const client = new Client({
    url: httpUrl(settings),
    requestPolicy: 'cache-first',
    // Every operation is a POST (urql would send short queries as GET).
    preferGetMethod: false,
    fetchOptions: { headers },
    exchanges: [
      authExchange,
      makeCacheExchange(),
      rateLimitExchange(),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              return { unsubscribe: ws.subscribe(input, sink) };
            },
          };
        },
      }),
    ],
  });

  return {
    client,
    dispose: () => {
      void ws.dispose();
      setStatus({ socket: 'idle', unauthenticated: null, rateLimitedUntil: null });
    },
  };
}
