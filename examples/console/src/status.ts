// App-wide conditions the banners show: the token was refused, the tenant's
// rate limit is hit (until when), the live socket's state.
import { useSyncExternalStore } from 'react';

export interface Status {
  unauthenticated: string | null;
  rateLimitedUntil: number | null;
  socket: 'idle' | 'connecting' | 'connected' | 'closed';
}

let status: Status = { unauthenticated: null, rateLimitedUntil: null, socket: 'idle' };
const listeners = new Set<() => void>();

export function setStatus(patch: Partial<Status>) {
  const next = { ...status, ...patch };
  if ((Object.keys(patch) as (keyof Status)[]).every((k) => next[k] === status[k])) return;
  status = next;
  listeners.forEach((listener) => listener());
}

export function useStatus(): Status {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => status,
  );
}
