// Where the API is and which token to send: kept in localStorage. A first
// load with `?token=…&server=…` stores them and strips them from the URL
// (how a test or a link from another tool opens the console signed in).
export interface Settings {
  server: string;
  token: string;
}

const KEY = 'crm-console:settings';

export function loadSettings(): Settings {
  let stored: Partial<Settings> = {};
  try {
    stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Settings>;
  } catch {
    // A malformed entry is ignored.
  }
  const settings: Settings = {
    server: stored.server || window.location.origin,
    token: stored.token ?? '',
  };

  const url = new URL(window.location.href);
  const token = url.searchParams.get('token');
  const server = url.searchParams.get('server');
  if (token !== null || server !== null) {
    if (token !== null) settings.token = token;
    if (server !== null) settings.server = server;
    saveSettings(settings);
    url.searchParams.delete('token');
    url.searchParams.delete('server');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return settings;
}

export function saveSettings(settings: Settings) {
  const server = settings.server.trim().replace(/\/+$/, '') || window.location.origin;
  localStorage.setItem(KEY, JSON.stringify({ server, token: settings.token.trim() }));
}

export const httpUrl = (s: Settings) => `${s.server}/graphql`;
export const wsUrl = (s: Settings) => `${s.server.replace(/^http/, 'ws')}/graphql/ws`;

// The token's claims, for display only (the server checks the signature).
export function tokenClaims(token: string): Record<string, unknown> | null {
  try {
    const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload)) as Record<string, unknown>;
  } catch {
    return null;
  }
}
