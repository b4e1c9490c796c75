// One customer: profile, metrics, orders, timeline and notes, and a form to
// add a note. The new note reaches this page and the list's row through the
// cache (src/cache.ts), without refetching either.
import { useState, type FormEvent } from 'react';
import { useMutation, useQuery } from 'urql';
import { AddNoteMutation, CustomerPageQuery } from './operations';
import { describe, fieldError } from './errors';
import { date, day, label, money, percent } from './format';
import { href } from './router';

const NOTE_MAX = 10_000;

export function CustomerPage({ id }: { id: string }) {
  const [result] = useQuery({ query: CustomerPageQuery, variables: { id } });
  const customer = result.data?.customer;

  if (result.fetching && !customer) return <section className="panel">Loading…</section>;
  if (result.error && !customer) {
    return (
      <section className="panel">
        <p className="error" data-testid="customer-error">
          {describe(result.error)}
        </p>
      </section>
    );
  }
  if (!customer) {
    return (
      <section className="panel" data-testid="customer-not-found">
        <p>No customer {id} in this tenant.</p>
        <a href={href.customers()}>Back to the list</a>
      </section>
    );
  }

  const m = customer.metrics;
  const address = customer.address;
  return (
    <div className="customer" data-testid="customer-page" data-id={customer.id}>
      <a href={href.customers()} data-testid="back-to-list" className="back">
        ← Customers
      </a>
      {result.error && <p className="error">{describe(result.error)}</p>}

      <section className="panel profile" data-testid="customer-profile">
        {customer.avatarUrl && <img className="avatar" src={customer.avatarUrl} alt="" />}
        <div>
          <h1>{customer.name ?? customer.email ?? customer.id}</h1>
          <p className="muted">
            {[customer.email, customer.phone, customer.companyName].filter(Boolean).join(' · ') || '—'}
          </p>
          <p>
            <span className={`badge ${customer.status.toLowerCase()}`}>{label(customer.status)}</span>
            {customer.tags.map((t) => (
              <span key={t} className="tag">
                {t}
              </span>
            ))}
          </p>
          <p className="muted small">
            {[
              address && [address.line1, address.city, address.postalCode, address.country].filter(Boolean).join(', '),
              customer.source && `source ${customer.source}`,
              `created ${date(customer.createdAt)}`,
              `updated ${date(customer.updatedAt)}`,
            ]
              .filter(Boolean)
              .join(' · ')}
          </p>
        </div>
      </section>

      <section className="panel" data-testid="customer-metrics">
        <h2>Metrics</h2>
        <dl className="metrics">
          <Metric name="Orders" value={String(customer.totalOrders)} />
          <Metric name="Spent" value={money(customer.totalSpent)} />
          <Metric name="Lifetime value" value={money(m.lifetimeValue)} />
          <Metric name="Average order" value={money(m.averageOrderValue)} />
          <Metric
            name="Purchase rhythm"
            value={m.purchaseFrequencyDays == null ? '—' : `every ${m.purchaseFrequencyDays.toFixed(1)} days`}
          />
          <Metric name="Churn risk" value={percent(m.churnRisk)} />
          <Metric
            name="RFM"
            value={`${label(m.rfm.segment)}${m.rfm.recencyScore ? ` (${m.rfm.recencyScore}·${m.rfm.frequencyScore}·${m.rfm.monetaryScore})` : ''}`}
          />
          <Metric name="First / last order" value={`${day(m.firstOrderAt)} / ${day(m.lastOrderAt)}`} />
        </dl>
        <p className="muted small">computed {date(m.computedAt)}</p>
      </section>

      <div className="columns">
        <section className="panel" data-testid="customer-orders">
          <h2>Orders ({customer.orders.totalCount})</h2>
          {customer.orders.nodes.length === 0 ? (
            <p className="empty">No orders.</p>
          ) : (
            <table>
              <tbody>
                {customer.orders.nodes.map((o) => (
                  <tr key={o.id} data-testid="order-row">
                    <td className="break">{o.externalId}</td>
                    <td className="num">{money(o.amount, o.currency)}</td>
                    <td>
                      <span className={`badge ${o.status.toLowerCase()}`}>{label(o.status)}</span>
                    </td>
                    <td className="muted small nowrap">{day(o.placedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section className="panel" data-testid="customer-timeline">
          <h2>Timeline ({customer.activity.totalCount})</h2>
          {customer.activity.nodes.length === 0 ? (
            <p className="empty">Nothing yet.</p>
          ) : (
            <ol className="timeline">
              {customer.activity.nodes.map((a) => (
                <li key={a.id} data-testid="timeline-item">
                  <span className={`type ${a.type.toLowerCase()}`}>{label(a.type)}</span> {a.title ?? ''}
                  <div className="muted small">{date(a.occurredAt)}</div>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>

      <section className="panel" data-testid="customer-notes">
        <h2>Notes ({customer.notes.totalCount})</h2>
        <NoteForm customerId={customer.id} />
        <ul className="notes">
          {customer.notes.nodes.map((n) => (
            <li key={n.id} data-testid="note-item">
              <p className="note-body">{n.body}</p>
              <div className="muted small">
                {n.author} · {date(n.createdAt)}
              </div>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

function Metric({ name, value }: { name: string; value: string }) {
  return (
    <div>
      <dt>{name}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function NoteForm({ customerId }: { customerId: string }) {
  const [body, setBody] = useState('');
  const [result, addNote] = useMutation(AddNoteMutation);
  // The server's validation is the reference: an empty or too long body
  // comes back as BAD_USER_INPUT naming `body`, shown under the field.
  const bodyError = fieldError(result.error, 'body');
  const otherError = result.error && !bodyError ? describe(result.error) : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const { error } = await addNote({ customerId, body });
    if (!error) setBody('');
  }

  return (
    <form className="note-form" onSubmit={submit} data-testid="note-form">
      <textarea
        data-testid="note-input"
        placeholder="Write a note…"
        value={body}
        rows={3}
        onChange={(e) => setBody(e.target.value)}
        aria-invalid={!!bodyError}
      />
      <div className="row">
        <small className={body.length > NOTE_MAX ? 'field-error' : 'muted'}>
          {body.length.toLocaleString()} / {NOTE_MAX.toLocaleString()}
        </small>
        {bodyError && (
          <small className="field-error" data-testid="note-error">
            {bodyError}
          </small>
        )}
        {otherError && <small className="field-error">{otherError}</small>}
        <button type="submit" data-testid="note-submit" disabled={result.fetching}>
          {result.fetching ? 'Adding…' : 'Add note'}
        </button>
      </div>
    </form>
  );
}
