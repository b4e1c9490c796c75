// Headless Chromium drives the reference console (examples/console/, served
// by the server at /console/ with CRM_CONSOLE=true): the first page of the
// customer list, a search, infinite scroll, a customer's page, a note added
// through the form (reaching the page and the list's row from the cache,
// with no refetch of the list), and the live activity feed.
//
// Usage: node console.mjs SERVER_URL TOKEN OUT_DIR [SEEDING_TOKEN]
//   SERVER_URL     e.g. http://127.0.0.1:8080 (the console is at /console/)
//   TOKEN          the token the console uses
//   OUT_DIR        where the screenshots go (console-*.png)
//   SEEDING_TOKEN  the token the script writes its test data with (TOKEN by default)
//
// No request may leave the machine: any request to a host other than
// 127.0.0.1 / localhost / [::1] is aborted, and the run fails.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { isLocal, loopbackOnly } from './loopback.mjs';

const [server, token, outDir, seedingToken = token] = process.argv.slice(2);
if (!server || !token || !outDir) {
  console.error('usage: node console.mjs SERVER_URL TOKEN OUT_DIR [SEEDING_TOKEN]');
  process.exit(2);
}
mkdirSync(outDir, { recursive: true });

const PAGE_SIZE = 20; // examples/console/src/CustomerList.tsx
const TIMEOUT = 20_000;
const run = Date.now().toString(36);
const term = `kestrel${run}`; // the search term some seeded customers share
const MATCHING = 12;
const TOTAL = 45;

class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message);
};
const step = (text) => console.log(`console check: ${text}`);

// GraphQL over HTTP from the script, honouring RATE_LIMITED's retryAfter.
async function api(query, variables = {}) {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(`${server}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${seedingToken}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = await response.json();
    const limited = body.errors?.find((e) => e.extensions?.code === 'RATE_LIMITED');
    if (limited && attempt < 10) {
      const seconds = Number(limited.extensions.retryAfter ?? response.headers.get('retry-after') ?? 1);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, seconds) * 1000));
      continue;
    }
    if (body.errors) fail(`API error: ${JSON.stringify(body.errors)}`);
    return body.data;
  }
}

// 1. Test data: TOTAL customers, MATCHING of them sharing `term`.
step(`creating ${TOTAL} customers (search term "${term}")`);
const created = [];
for (let i = 0; i < TOTAL; i++) {
  const matching = i % 4 === 0 && created.filter((c) => c.matching).length < MATCHING;
  const input = matching
    ? { name: `Ada ${term} ${i}`, email: `ada.${run}.${i}@console.example`, tags: ['console-check'] }
    : { name: `Grace Console ${run} ${i}`, email: `grace.${run}.${i}@console.example` };
  const data = await api(
    'mutation($input: CustomerInput!) { createCustomer(input: $input) { customer { id name } created } }',
    { input },
  );
  if (!data.createCustomer.created) fail(`customer ${input.email} already existed`);
  created.push({ ...data.createCustomer.customer, matching });
}
const matchingCount = created.filter((c) => c.matching).length;
if (matchingCount !== MATCHING) fail(`seeded ${matchingCount} matching customers, expected ${MATCHING}`);
// The newest customer comes first in the list: give it orders and a timeline.
const newest = created[created.length - 1];
for (const [n, amount] of [
  [1, '120.00'],
  [2, '75.50'],
]) {
  await api('mutation($c: ID!, $i: OrderInput!) { recordOrder(customerId: $c, input: $i) { id } }', {
    c: newest.id,
    i: { externalId: `console-${run}-${n}`, amount, currency: 'EUR' },
  });
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
let offHost = []; // requests that tried to leave the machine
const graphqlRequests = []; // every request to /graphql: { at, method, body }
const pageErrors = [];
let exitCode = 0;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.error(`browser console: ${msg.text()}`);
  });

  offHost = await loopbackOnly(page);
  // Every GraphQL request the console sends (watched; let through above).
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (isLocal(request.url()) && url.pathname === '/graphql') {
      graphqlRequests.push({
        at: Date.now(),
        method: request.method(),
        body: request.method() === 'GET' ? url.search : (request.postData() ?? ''),
      });
    }
  });

  const rows = () => page.$$eval('[data-testid="customer-row"]', (els) => els.length);
  const shot = async (name) => {
    await page.screenshot({ path: path.join(outDir, name), fullPage: false });
  };

  // 2. The console opens signed in; the list shows the first page.
  const consoleUrl = `${server}/console/?token=${encodeURIComponent(token)}&server=${encodeURIComponent(server)}`;
  await page.goto(consoleUrl, { waitUntil: 'domcontentloaded', timeout: TIMEOUT });
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="customer-row"]').length === n,
    { timeout: TIMEOUT },
    PAGE_SIZE,
  ).catch(async () => fail(`the first page did not show ${PAGE_SIZE} rows (saw ${await rows()})`));
  const search = new URL(page.url()).search;
  if (search.includes('token')) fail(`the token was left in the URL: ${page.url()}`);
  const firstRow = await page.$eval('[data-testid="customer-row"]', (el) => el.dataset.id);
  if (firstRow !== newest.id) fail(`the first row is ${firstRow}, expected the newest customer ${newest.id}`);
  await page.waitForSelector('[data-testid="activity-feed"][data-socket="connected"]', { timeout: TIMEOUT })
    .catch(() => fail('the activity feed did not connect its WebSocket'));
  await shot('console-list.png');
  step(`the list shows the first page (${PAGE_SIZE} rows)`);

  // 3. Search: only the matching customers remain.
  await page.type('[data-testid="search-input"]', term);
  await page.waitForFunction(
    (term, n) => {
      const rows = [...document.querySelectorAll('[data-testid="customer-row"]')];
      return rows.length === n && rows.every((r) => r.textContent.toLowerCase().includes(term.toLowerCase()));
    },
    { timeout: TIMEOUT },
    term,
    MATCHING,
  ).catch(async () => fail(`the search for "${term}" did not narrow the list to ${MATCHING} rows (saw ${await rows()})`));
  await shot('console-search.png');
  step(`the search shows only the ${MATCHING} matching customers`);

  // 4. Clear the search, scroll to the sentinel: the second page loads.
  await page.click('[data-testid="search-input"]', { clickCount: 3 });
  await page.keyboard.press('Backspace');
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="customer-row"]').length === n
      && !document.querySelector('table.customers.busy'),
    { timeout: TIMEOUT },
    PAGE_SIZE,
  ).catch(async () => fail(`clearing the search did not bring back the first page (saw ${await rows()})`));
  await page.$eval('[data-testid="list-sentinel"]', (el) => el.scrollIntoView({ block: 'end' }));
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid="customer-row"]').length > n,
    { timeout: TIMEOUT },
    PAGE_SIZE,
  ).catch(async () => fail(`scrolling to the bottom did not load a second page (still ${await rows()} rows)`));
  const afterScroll = await rows();
  const pagedRequests = graphqlRequests.filter((r) => r.body.includes('CustomerList') && r.body.includes('"after":"'));
  if (pagedRequests.length === 0) fail('the second page was not asked for with an `after` cursor');
  await shot('console-page2.png');
  step(`scrolling loaded the next page (${afterScroll} rows)`);

  // 5. The newest customer's page: metrics, orders, timeline and notes.
  await page.evaluate(() => window.scrollTo(0, 0));
  const rowNotesBefore = Number(
    await page.$eval(`[data-testid="customer-row"][data-id="${newest.id}"] [data-testid="row-notes-count"]`, (el) => el.textContent),
  );
  await page.click(`[data-testid="customer-row"][data-id="${newest.id}"] a`);
  for (const section of ['customer-profile', 'customer-metrics', 'customer-orders', 'customer-timeline', 'customer-notes']) {
    await page.waitForSelector(`[data-testid="${section}"]`, { timeout: TIMEOUT })
      .catch(() => fail(`the customer page has no ${section} section`));
  }
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="order-row"]').length === 2, { timeout: TIMEOUT })
    .catch(() => fail('the customer page does not list the 2 orders recorded'));
  await shot('console-customer.png');
  step('the customer page shows profile, metrics, orders, timeline and notes');

  // 6. A note through the form: it shows on the page, and the list's row
  // has it when we go back, with no list query over the network.
  // First the server's validation: an empty note is refused next to the field.
  await page.click('[data-testid="note-submit"]');
  await page.waitForSelector('[data-testid="note-error"]', { timeout: TIMEOUT })
    .catch(() => fail('an empty note showed no validation error next to the field'));
  const noteText = `Console note ${run}`;
  const mark = Date.now();
  await page.type('[data-testid="note-input"]', noteText);
  await page.click('[data-testid="note-submit"]');
  await page.waitForFunction(
    (text) => [...document.querySelectorAll('[data-testid="note-item"]')].some((el) => el.textContent.includes(text)),
    { timeout: TIMEOUT },
    noteText,
  ).catch(() => fail('the new note did not appear on the customer page'));
  await page.waitForFunction(() => !document.querySelector('[data-testid="note-error"]'), { timeout: TIMEOUT })
    .catch(() => fail('the validation error stayed after a valid note'));
  await shot('console-note.png');
  await page.click('[data-testid="back-to-list"]');
  const rowSelector = `[data-testid="customer-row"][data-id="${newest.id}"]`;
  await page.waitForFunction(
    (sel, text, count) => {
      const row = document.querySelector(sel);
      return row && row.textContent.includes(text) && row.querySelector('[data-testid="row-notes-count"]').textContent === String(count);
    },
    { timeout: TIMEOUT },
    rowSelector,
    noteText,
    rowNotesBefore + 1,
  ).catch(() => fail('the list row did not show the new note and its count'));
  if ((await rows()) !== afterScroll) fail(`the list came back with ${await rows()} rows, not the ${afterScroll} loaded`);
  const sinceNote = graphqlRequests.filter((r) => r.at >= mark);
  const listRefetches = sinceNote.filter((r) => r.body.includes('CustomerList') || /\bcustomers\s*\(/.test(r.body));
  if (listRefetches.length > 0) {
    fail(`adding a note refetched the customer list over the network: ${listRefetches.map((r) => r.body.slice(0, 120)).join(' | ')}`);
  }
  if (!sinceNote.some((r) => r.body.includes('AddNote'))) fail('no addNote mutation was seen on the network');
  step(`the note appears on the page and in the list row without a list refetch (${sinceNote.length} GraphQL request(s) since: ${sinceNote.map((r) => r.body.match(/"operationName":"(\w+)"/)?.[1] ?? r.method).join(', ')})`);

  // 7. The live feed: an activity recorded over HTTP appears on the page.
  const title = `Console live ${run}`;
  await page.$eval('[data-testid="activity-feed"]', (el) => el.scrollIntoView());
  await api(
    'mutation($c: ID!, $i: ActivityInput!) { recordActivity(customerId: $c, input: $i) { id } }',
    { c: newest.id, i: { type: 'SUPPORT', title, data: { channel: 'console-check' } } },
  );
  await page.waitForFunction(
    (text) => [...document.querySelectorAll('[data-testid="activity-item"]')].some((el) => el.textContent.includes(text)),
    { timeout: TIMEOUT },
    title,
  ).catch(() => fail(`the activity "${title}" did not appear in the live feed`));
  // The note's own NOTE entry came through the feed too.
  await page.waitForFunction(
    () => [...document.querySelectorAll('[data-testid="activity-item"] .type')].some((el) => el.textContent === 'Note'),
    { timeout: TIMEOUT },
  ).catch(() => fail('the NOTE entry of the note added did not appear in the live feed'));
  await shot('console-activity.png');
  step('the live feed shows the activity recorded over HTTP');

  if (pageErrors.length) fail(`the page threw: ${pageErrors.join(' | ')}`);
} catch (err) {
  exitCode = 1;
  console.error(`console check FAILED: ${err instanceof Failure ? err.message : err.stack ?? err}`);
} finally {
  await browser.close();
}
if (offHost.length > 0) {
  exitCode = 1;
  console.error(`console check FAILED: requests beyond the loopback were attempted (aborted): ${offHost.join(', ')}`);
}
if (exitCode === 0) console.log(`console check: passed; screenshots in ${outDir}`);
process.exit(exitCode);
