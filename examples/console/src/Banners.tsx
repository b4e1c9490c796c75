// App-wide errors: a refused token (pointing to the settings) and the
// tenant's rate limit (counting down until the retry).
import { useEffect, useState } from 'react';
import { href } from './router';
import { useStatus } from './status';

export function Banners() {
  const { unauthenticated, rateLimitedUntil } = useStatus();
  const [now, setNow] = useState(() => Date.now());
  const limited = rateLimitedUntil !== null && rateLimitedUntil > now;

  useEffect(() => {
    if (rateLimitedUntil === null || rateLimitedUntil <= Date.now()) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 250);
    return () => clearInterval(timer);
  }, [rateLimitedUntil]);

  return (
    <>
      {unauthenticated && (
        <div className="banner error" role="alert" data-testid="error-banner" data-code="UNAUTHENTICATED">
          {unauthenticated} <a href={href.settings()}>Check the server and token in Settings</a>.
        </div>
      )}
      {limited && (
        <div className="banner warning" role="status" data-testid="error-banner" data-code="RATE_LIMITED">
          Rate limited: the tenant's request budget is spent. Retrying in{' '}
          <strong data-testid="retry-countdown">{Math.ceil((rateLimitedUntil - now) / 1000)}</strong> s.
        </div>
      )}
    </>
  );
}
