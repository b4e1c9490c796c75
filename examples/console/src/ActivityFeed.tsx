// The live feed: every timeline entry of the tenant as it is added
// (`activityAdded` over graphql-ws), newest first, while the app is open.
import { useSubscription } from 'urql';
import type { ActivityFeedSubscription as Event } from './gql/graphql';
import { ActivityFeedSubscription } from './operations';
import { describe } from './errors';
import { date, label } from './format';
import { href } from './router';
import { useStatus } from './status';

type Item = Event['activityAdded'];

const KEEP = 100;

export function ActivityFeed() {
  const { socket } = useStatus();
  const [result] = useSubscription({ query: ActivityFeedSubscription }, (items: Item[] = [], event: Event) =>
    [event.activityAdded, ...items.filter((i) => i.id !== event.activityAdded.id)].slice(0, KEEP),
  );
  const items = result.data ?? [];

  return (
    <aside className="panel feed" data-testid="activity-feed" data-socket={socket}>
      <h2>
        Live activity <span className={`dot ${socket}`} title={`WebSocket: ${socket}`} />
      </h2>
      {result.error && (
        <p className="error small" data-testid="feed-error">
          {describe(result.error)}
        </p>
      )}
      {items.length === 0 ? (
        <p className="empty small">Waiting for activity…</p>
      ) : (
        <ol>
          {items.map((a) => (
            <li key={a.id} data-testid="activity-item" data-id={a.id}>
              <span className={`type ${a.type.toLowerCase()}`}>{label(a.type)}</span> {a.title ?? ''}
              <div className="muted small">
                {a.customer ? (
                  <a href={href.customer(a.customer.id)}>{a.customer.name ?? a.customer.email ?? a.customer.id}</a>
                ) : (
                  'deleted customer'
                )}{' '}
                · {date(a.occurredAt)}
              </div>
            </li>
          ))}
        </ol>
      )}
    </aside>
  );
}
