import { useCallback, useEffect, useState } from 'react';
import { Provider, type Client } from 'urql';
import { ActivityFeed } from './ActivityFeed';
import { Banners } from './Banners';
import { makeClient } from './client';
import { CustomerList, initialListState, type ListState } from './CustomerList';
import { CustomerPage } from './CustomerPage';
import { Settings } from './Settings';
import { loadSettings, saveSettings, type Settings as SettingsValue } from './settings';
import { href, useRoute } from './router';

export function App() {
  const [settings, setSettings] = useState(loadSettings);
  const [client, setClient] = useState<Client | null>(null);
  const [list, setList] = useState<ListState>(initialListState);
  const route = useRoute();

  // A new client (and an empty cache) whenever the settings change.
  useEffect(() => {
    const { client, dispose } = makeClient(settings);
    setClient(client);
    return dispose;
  }, [settings]);

  const save = useCallback((next: SettingsValue) => {
    saveSettings(next);
    setSettings(loadSettings());
    window.location.hash = href.customers();
  }, []);

  if (!client) return null;
  return (
    <Provider value={client}>
      <header className="topbar">
        <strong>CRM console</strong>
        <nav>
          <a href={href.customers()} className={route.name !== 'settings' ? 'active' : ''} data-testid="nav-customers">
            Customers
          </a>
          <a href={href.settings()} className={route.name === 'settings' ? 'active' : ''} data-testid="nav-settings">
            Settings
          </a>
        </nav>
        <span className="muted small">{settings.server}</span>
      </header>
      <Banners />
      <div className="layout">
        <main>
          {route.name === 'settings' ? (
            <Settings value={settings} onSave={save} />
          ) : route.name === 'customer' ? (
            <CustomerPage key={route.id} id={route.id} />
          ) : (
            <CustomerList state={list} onChange={setList} />
          )}
        </main>
        <ActivityFeed />
      </div>
    </Provider>
  );
}
