// GraphQL Code Generator: types for every operation in src/, from the
// repository's schema.graphql (the server's own SDL, kept in sync with it by
// a test). CONSOLE_SCHEMA points it at another schema: a copy of the file,
// or a running server's `http://…/graphql`, introspected with the bearer
// token in CONSOLE_TOKEN.
import type { CodegenConfig } from '@graphql-codegen/cli';

const source = process.env.CONSOLE_SCHEMA ?? '../../schema.graphql';
const token = process.env.CONSOLE_TOKEN;
const schema: CodegenConfig['schema'] =
  /^https?:/.test(source) && token ? { [source]: { headers: { Authorization: `Bearer ${token}` } } } : source;

const config: CodegenConfig = {
  schema,
  documents: ['src/**/*.{ts,tsx}', '!src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    './src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        // The server's custom scalars, as they travel in JSON (docs/api.md §3).
        strictScalars: true,
        scalars: {
          DateTime: 'string', // RFC 3339, UTC, e.g. "2026-11-21T09:30:00.000000Z"
          Decimal: { input: 'string | number', output: 'string' }, // "12840.00"
          JSON: 'unknown', // any JSON value
        },
        enumsAsTypes: true,
        useTypeImports: true,
      },
    },
  },
};

export default config;
