// The server URL and the bearer token, kept in localStorage.
import { useState, type FormEvent } from 'react';
import { httpUrl, tokenClaims, wsUrl, type Settings as SettingsValue } from './settings';

export function Settings({ value, onSave }: { value: SettingsValue; onSave: (s: SettingsValue) => void }) {
  const [server, setServer] = useState(value.server);
  const [token, setToken] = useState(value.token);
  const claims = tokenClaims(token.trim());
  const expires = typeof claims?.exp === 'number' ? new Date(claims.exp * 1000) : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    onSave({ server: server.trim().replace(/\/+$/, '') || window.location.origin, token: token.trim() });
  }

  return (
    <section className="panel settings" data-testid="settings">
      <h1>Settings</h1>
      <form onSubmit={submit}>
        <label className="field">
          <span>Server URL</span>
          <input data-testid="settings-server" value={server} onChange={(e) => setServer(e.target.value)} />
          <small className="muted">
            HTTP {httpUrl({ server, token })} · WebSocket {wsUrl({ server, token })}
          </small>
        </label>
        <label className="field">
          <span>Bearer token</span>
          <textarea
            data-testid="settings-token"
            rows={4}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder="crm token --tenant demo --sub me"
          />
          {token && !claims && <small className="field-error">This does not look like a JWT.</small>}
          {claims && (
            <small className="muted" data-testid="settings-claims">
              tenant {String(claims.tenant)} · sub {String(claims.sub)}
              {expires ? ` · expires ${expires.toLocaleString()}` : ''}
              {claims.scope ? ` · ${String(claims.scope)}` : ''}
            </small>
          )}
        </label>
        <button type="submit" data-testid="settings-save">
          Save
        </button>
      </form>
    </section>
  );
}
