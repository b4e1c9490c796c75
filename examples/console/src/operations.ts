// Every GraphQL document the console sends. `npm run codegen` checks each one
// against ../../schema.graphql and types it (src/gql/); a field renamed or
// removed in the schema fails the codegen or `tsc`.
import { graphql } from './gql';

export const NoteFields = graphql(`
  fragment NoteFields on Note {
    id
    body
    author
    createdAt
    updatedAt
  }
`);

export const ActivityFields = graphql(`
  fragment ActivityFields on Activity {
    id
    type
    title
    occurredAt
  }
`);

// The notes a list row shows: how many, and the latest. The cache updates it
// after `addNote` (src/cache.ts), so the list changes without a refetch.
export const RowNotes = graphql(`
  fragment RowNotes on Customer {
    id
    notes(first: 1) {
      totalCount
      nodes {
        ...NoteFields
      }
    }
  }
`);

// The notes the customer page shows.
export const PageNotes = graphql(`
  fragment PageNotes on Customer {
    id
    notes(first: 10) {
      totalCount
      nodes {
        ...NoteFields
      }
    }
  }
`);

// The timeline the customer page shows; new entries arrive by subscription.
export const PageActivity = graphql(`
  fragment PageActivity on Customer {
    id
    activity(first: 15) {
      totalCount
      nodes {
        ...ActivityFields
      }
    }
  }
`);

export const CustomerListQuery = graphql(`
  query CustomerList($first: Int!, $after: String, $filter: CustomerFilter, $sort: CustomerSort) {
    customers(first: $first, after: $after, filter: $filter, sort: $sort) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          name
          email
          companyName
          status
          tags
          totalOrders
          totalSpent
          lastOrderAt
          metrics {
            churnRisk
            rfm {
              segment
            }
          }
          ...RowNotes
        }
      }
    }
  }
`);

export const CustomerPageQuery = graphql(`
  query CustomerPage($id: ID!) {
    customer(id: $id) {
      id
      name
      email
      phone
      companyName
      avatarUrl
      status
      source
      tags
      createdAt
      updatedAt
      address {
        id
        line1
        line2
        city
        state
        postalCode
        country
      }
      totalOrders
      totalSpent
      lastOrderAt
      metrics {
        lifetimeValue
        averageOrderValue
        purchaseFrequencyDays
        churnRisk
        firstOrderAt
        lastOrderAt
        computedAt
        rfm {
          recencyScore
          frequencyScore
          monetaryScore
          segment
        }
      }
      orders(first: 10) {
        totalCount
        nodes {
          id
          externalId
          amount
          currency
          status
          placedAt
        }
      }
      ...PageActivity
      ...PageNotes
    }
  }
`);

export const AddNoteMutation = graphql(`
  mutation AddNote($customerId: ID!, $body: String!) {
    addNote(customerId: $customerId, body: $body) {
      ...NoteFields
      customer {
        id
      }
    }
  }
`);

export const ActivityFeedSubscription = graphql(`
  subscription ActivityFeed {
    activityAdded {
      ...ActivityFields
      customer {
        id
        name
        email
      }
    }
  }
`);
