// The customer list: debounced search, filters, sort, and infinite scroll on
// Relay cursors. Graphcache's relayPagination() merges the pages, so the
// query always reads the whole list loaded so far.
import { useEffect, useMemo, useRef, useState } from 'react';
import { useQuery } from 'urql';
import type { CustomerFilter, CustomerSort, CustomerStatus } from './gql/graphql';
import { CustomerListQuery } from './operations';
import { describe, fieldError } from './errors';
import { day, label, money, percent } from './format';
import { href } from './router';

export const PAGE_SIZE = 20;

export interface ListState {
  search: string;
  status: '' | CustomerStatus;
  tag: string;
  sort: string; // "FIELD:DIRECTION"
}

export const initialListState: ListState = { search: '', status: '', tag: '', sort: 'CREATED_AT:DESC' };

const sorts: Record<string, string> = {
  'CREATED_AT:DESC': 'Newest',
  'UPDATED_AT:DESC': 'Recently updated',
  'NAME:ASC': 'Name A–Z',
  'TOTAL_SPENT:DESC': 'Top spend',
  'LAST_ORDER_AT:DESC': 'Last order',
};

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

export function CustomerList({ state, onChange }: { state: ListState; onChange: (s: ListState) => void }) {
  // What is typed shows at once; the query follows 300 ms after the last key.
  const [search, setSearch] = useState(state.search);
  const [tag, setTag] = useState(state.tag);
  const debouncedSearch = useDebounced(search, 300);
  const debouncedTag = useDebounced(tag, 300);
  useEffect(() => {
    if (debouncedSearch !== state.search || debouncedTag !== state.tag) {
      onChange({ ...state, search: debouncedSearch, tag: debouncedTag });
    }
  }, [debouncedSearch, debouncedTag, state, onChange]);

  const filter = useMemo<CustomerFilter>(() => {
    const f: CustomerFilter = {};
    if (state.search.trim()) f.search = state.search.trim();
    if (state.status) f.status = state.status;
    if (state.tag.trim()) f.tags = [state.tag.trim()];
    return f;
  }, [state.search, state.status, state.tag]);
  const sort = useMemo<CustomerSort>(() => {
    const [field, direction] = state.sort.split(':');
    return { field, direction } as CustomerSort;
  }, [state.sort]);

  // The cursor to load after; it belongs to one filter and sort.
  const listKey = JSON.stringify([filter, sort]);
  const [page, setPage] = useState<{ key: string; after: string | null }>({ key: listKey, after: null });
  const after = page.key === listKey ? page.after : null;

  const [result] = useQuery({
    query: CustomerListQuery,
    variables: { first: PAGE_SIZE, after, filter, sort },
  });
  const customers = result.data?.customers;
  const pageInfo = customers?.pageInfo;

  // Infinite scroll: when the sentinel under the last row comes into view,
  // ask for the page after the last cursor.
  const sentinel = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = sentinel.current;
    if (!element || !pageInfo?.hasNextPage || !pageInfo.endCursor || result.fetching) return;
    const cursor = pageInfo.endCursor;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) setPage({ key: listKey, after: cursor });
      },
      { rootMargin: '200px' },
    );
    observer.observe(element);
    return () => observer.disconnect();
  }, [pageInfo?.hasNextPage, pageInfo?.endCursor, result.fetching, listKey]);

  const searchError = fieldError(result.error, 'filter.search');
  const tagError = fieldError(result.error, 'filter.tags') ?? fieldError(result.error, 'filter.tags.0');
  const otherError = result.error && !searchError && !tagError ? describe(result.error) : null;

  return (
    <section className="panel" data-testid="customer-list">
      <div className="toolbar">
        <label className="field grow">
          <span>Search</span>
          <input
            type="search"
            data-testid="search-input"
            placeholder="Name, email, phone or company"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            aria-invalid={!!searchError}
          />
          {searchError && (
            <small className="field-error" data-testid="search-error">
              {searchError}
            </small>
          )}
        </label>
        <label className="field">
          <span>Status</span>
          <select
            data-testid="status-filter"
            value={state.status}
            onChange={(e) => onChange({ ...state, status: e.target.value as ListState['status'] })}
          >
            <option value="">Any</option>
            <option value="ACTIVE">Active</option>
            <option value="ARCHIVED">Archived</option>
          </select>
        </label>
        <label className="field">
          <span>Tag</span>
          <input data-testid="tag-filter" placeholder="vip" value={tag} onChange={(e) => setTag(e.target.value)} />
          {tagError && <small className="field-error">{tagError}</small>}
        </label>
        <label className="field">
          <span>Sort</span>
          <select data-testid="sort-select" value={state.sort} onChange={(e) => onChange({ ...state, sort: e.target.value })}>
            {Object.entries(sorts).map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </label>
      </div>

      <p className="muted" data-testid="list-summary">
        {customers
          ? `${customers.edges.length} of ${customers.totalCount} customers`
          : result.fetching
            ? 'Loading…'
            : ''}
        {result.fetching && customers ? ' · loading…' : ''}
      </p>
      {otherError && (
        <p className="error" data-testid="list-error">
          {otherError}
        </p>
      )}

      <table className={`customers ${result.fetching ? 'busy' : ''}`}>
        <thead>
          <tr>
            <th>Customer</th>
            <th>Status</th>
            <th className="num">Orders</th>
            <th className="num">Spent</th>
            <th>RFM</th>
            <th className="num">Churn risk</th>
            <th>Notes</th>
          </tr>
        </thead>
        <tbody>
          {customers?.edges.map(({ node }) => (
            <tr key={node.id} data-testid="customer-row" data-id={node.id}>
              <td>
                <a href={href.customer(node.id)} className="name">
                  {node.name ?? node.email ?? node.id}
                </a>
                <div className="muted small">
                  {node.email ?? '—'}
                  {node.companyName ? ` · ${node.companyName}` : ''}
                </div>
                {node.tags.length > 0 && (
                  <div className="tags">
                    {node.tags.map((t) => (
                      <span key={t} className="tag">
                        {t}
                      </span>
                    ))}
                  </div>
                )}
              </td>
              <td>
                <span className={`badge ${node.status.toLowerCase()}`}>{label(node.status)}</span>
              </td>
              <td className="num">
                {node.totalOrders}
                {node.lastOrderAt && <div className="muted small">last {day(node.lastOrderAt)}</div>}
              </td>
              <td className="num">{money(node.totalSpent)}</td>
              <td>{label(node.metrics.rfm.segment)}</td>
              <td className="num">{percent(node.metrics.churnRisk)}</td>
              <td data-testid="row-notes">
                <span data-testid="row-notes-count">{node.notes.totalCount}</span>
                {node.notes.nodes[0] && (
                  <div className="muted small clip" title={node.notes.nodes[0].body}>
                    {node.notes.nodes[0].body}
                  </div>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {customers && customers.edges.length === 0 && <p className="empty">No customer matches.</p>}
      <div ref={sentinel} className="sentinel" data-testid="list-sentinel">
        {pageInfo?.hasNextPage ? (result.fetching ? 'Loading more…' : 'More below') : customers ? 'End of list' : ''}
      </div>
    </section>
  );
}
