// Headless Chromium opens GraphiQL, with every request that would leave the
// machine refused: a query runs and shows its result; a subscription shows
// an activity recorded over HTTP. Takes a screenshot of each.
// Usage: node graphiql.mjs SERVER_URL TOKEN OUT_DIR
import puppeteer from 'puppeteer-core';
import { loopbackOnly } from './loopback.mjs';

const [server, token, out] = process.argv.slice(2);
const title = `Seen in the browser ${Date.now()}`;

async function api(query, variables = {}) {
  const response = await fetch(`${server}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

const email = `graphiql.check.${Date.now()}@demo.example`;
const created = await api(
  'mutation($e: String!) { createCustomer(input: { email: $e }) { customer { id } } }',
  { e: email },
);
const customer = created.createCustomer.customer.id;

// A page whose GraphiQL editor starts with `query` (GraphiQL keeps the
// editor's text in localStorage under graphiql:query) and that sends
// nothing beyond the loopback.
async function open(browser, query) {
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  await page.setViewport({ width: 1280, height: 800 });
  const outside = await loopbackOnly(page);
  await page.evaluateOnNewDocument((text) => localStorage.setItem('graphiql:query', text), query);
  await page.goto(`${server}/`, { waitUntil: 'networkidle0', timeout: 30000 });
  await page.waitForSelector('.graphiql-execute-button', { timeout: 30000 });
  return { page, outside };
}

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const query = await open(browser, `query { customer(id: "${customer}") { id email } }`);
  await query.page.click('.graphiql-execute-button');
  await query.page.waitForFunction(
    (text) => document.querySelector('.graphiql-response')?.innerText.includes(text),
    { timeout: 20000 },
    email,
  );
  await query.page.screenshot({ path: `${out}/graphiql-query.png` });

  const live = await open(browser, `subscription { activityAdded(customerId: "${customer}") { type title } }`);
  const cdp = await live.page.createCDPSession();
  await cdp.send('Network.enable');
  const subscribed = new Promise((resolve) =>
    cdp.on('Network.webSocketFrameSent', ({ response }) => {
      if (response.payloadData.includes('"subscribe"')) resolve();
    }),
  );
  await live.page.click('.graphiql-execute-button');
  await subscribed;
  // The subscribe message may still be on its way to the server when the
  // activity is recorded: record again until one is seen.
  for (let attempt = 1; ; attempt++) {
    await api(
      'mutation($c: ID!, $t: String!) { recordActivity(customerId: $c, input: { type: CUSTOM, title: $t }) { id } }',
      { c: customer, t: title },
    );
    const seen = await live.page
      .waitForFunction((text) => document.body.innerText.includes(text), { timeout: 3000 }, title)
      .then(() => true, () => false);
    if (seen) break;
    if (attempt === 5) throw new Error(`"${title}" never appeared in GraphiQL`);
  }
  await live.page.screenshot({ path: `${out}/graphiql-subscription.png` });

  const outside = [...query.outside, ...live.outside];
  if (outside.length > 0) throw new Error(`requests beyond the loopback: ${outside.join(', ')}`);
  console.log(`browser check: GraphiQL ran a query and a subscription with no request beyond the loopback; screenshots in ${out}`);
} finally {
  await browser.close();
}
