// Routes live in the URL's hash (`#/customers/cus_…`), so the server only
// ever serves /console/index.html.
import { useSyncExternalStore } from 'react';

export type Route = { name: 'customers' } | { name: 'customer'; id: string } | { name: 'settings' };

function parse(hash: string): Route {
  const path = hash.replace(/^#/, '');
  const customer = path.match(/^\/customers\/([^/]+)$/);
  if (customer) return { name: 'customer', id: decodeURIComponent(customer[1]) };
  if (path === '/settings') return { name: 'settings' };
  return { name: 'customers' };
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(
    (listener) => {
      window.addEventListener('hashchange', listener);
      return () => window.removeEventListener('hashchange', listener);
    },
    () => window.location.hash,
  );
  return parse(hash);
}

export const href = {
  customers: () => '#/customers',
  customer: (id: string) => `#/customers/${encodeURIComponent(id)}`,
  settings: () => '#/settings',
};
