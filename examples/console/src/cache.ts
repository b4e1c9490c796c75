// The normalized cache (urql Graphcache): how objects are keyed, how pages of
// the customer list are merged, and how a mutation's or subscription's result
// changes lists already in the cache, so nothing is refetched.
import { cacheExchange, type Cache, type KeyingConfig } from '@urql/exchange-graphcache';
import { relayPagination } from '@urql/exchange-graphcache/extras';
import type { ActivityFeedSubscription, AddNoteMutation } from './gql/graphql';
import { PageActivity, PageNotes, RowNotes } from './operations';

// Every type with an `id` (the Node types, Address, WebhookDelivery) is keyed
// by it, which is Graphcache's default. These have no identity of their own
// and are stored inside their parent.
const embedded = [
  'CustomerConnection',
  'CustomerEdge',
  'OrderConnection',
  'OrderEdge',
  'ActivityConnection',
  'ActivityEdge',
  'NoteConnection',
  'NoteEdge',
  'PageInfo',
  'CustomerMetrics',
  'RfmScore',
  'Consent',
  'PostalAddress',
];
const keys: KeyingConfig = {
  ...Object.fromEntries(embedded.map((type) => [type, () => null])),
  // Custom field definitions have no id: their key is unique and never changes.
  CustomFieldDefinition: (definition) => definition.key as string,
};

type NoteNode = AddNoteMutation['addNote'];
type ActivityNode = ActivityFeedSubscription['activityAdded'];

// The customer's cached note lists (the list row's `notes(first: 1)` and the
// page's `notes(first: 10)`): the new note goes first, the count grows.
function prependNote(cache: Cache, customerId: string, note: NoteNode) {
  for (const [fragment, size] of [
    [RowNotes, 1],
    [PageNotes, 10],
  ] as const) {
    const data = cache.readFragment(fragment, { __typename: 'Customer', id: customerId });
    if (!data || data.notes.nodes.some((n) => n.id === note.id)) continue;
    cache.writeFragment(fragment, {
      ...data,
      notes: {
        ...data.notes,
        __typename: 'NoteConnection',
        totalCount: data.notes.totalCount + 1,
        nodes: [{ ...note, __typename: 'Note' }, ...data.notes.nodes].slice(0, size),
      },
    } as typeof data);
  }
}

// The customer page's timeline, newest first by `occurredAt`.
function insertActivity(cache: Cache, activity: ActivityNode) {
  const customerId = activity.customer?.id;
  if (!customerId) return;
  const data = cache.readFragment(PageActivity, { __typename: 'Customer', id: customerId });
  if (!data || data.activity.nodes.some((a) => a.id === activity.id)) return;
  const nodes = [{ ...activity, __typename: 'Activity' }, ...data.activity.nodes]
    .sort((a, b) => (a.occurredAt < b.occurredAt ? 1 : a.occurredAt > b.occurredAt ? -1 : 0))
    .slice(0, 15);
  cache.writeFragment(PageActivity, {
    ...data,
    activity: { ...data.activity, __typename: 'ActivityConnection', totalCount: data.activity.totalCount + 1, nodes },
  } as typeof data);
}

// One per client: a new client (other settings) starts with an empty cache.
export const makeCacheExchange = () =>
  cacheExchange({
    keys,
    resolvers: {
      Query: {
        // Pages of one list (same filter and sort) are merged into one
        // connection; another filter or sort is another list.
        customers: relayPagination(),
      },
    },
    updates: {
      Mutation: {
        addNote(result, args, cache) {
          const note = (result as AddNoteMutation).addNote;
          if (note) prependNote(cache, args.customerId as string, note);
        },
      },
      Subscription: {
        activityAdded(result, _args, cache) {
          const activity = (result as ActivityFeedSubscription).activityAdded;
          if (activity) insertActivity(cache, activity);
        },
      },
    },
  });
