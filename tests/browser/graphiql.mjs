// Headless Chromium opens GraphiQL, starts a subscription, and waits for an
// activity recorded over HTTP to appear on the page; then takes a
// screenshot. Usage: node graphiql.mjs SERVER_URL TOKEN SCREENSHOT.png
import puppeteer from 'puppeteer-core';

const [server, token, screenshot] = process.argv.slice(2);
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

const created = await api(
  'mutation { createCustomer(input: { email: "browser.check@demo.example" }) { customer { id } } }',
);
const customer = created.createCustomer.customer.id;

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage();
  page.on('pageerror', (err) => console.error(`page error: ${err.message}`));
  page.on('requestfailed', (r) => console.error(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  await page.setViewport({ width: 1280, height: 800 });
  // GraphiQL keeps its editor's text in localStorage under graphiql:query.
  const subscription = `subscription { activityAdded(customerId: "${customer}") { type title } }`;
  await page.evaluateOnNewDocument((query) => {
    localStorage.setItem('graphiql:query', query);
  }, subscription);
  await page.goto(`${server}/`, { waitUntil: 'networkidle0', timeout: 30000 });
  await page.waitForSelector('.graphiql-execute-button', { timeout: 30000 });
  await page.click('.graphiql-execute-button');
  // The socket opens and subscribes.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await api(
    'mutation($c: ID!, $t: String!) { recordActivity(customerId: $c, input: { type: CUSTOM, title: $t }) { id } }',
    { c: customer, t: title },
  );
  await page.waitForFunction((text) => document.body.innerText.includes(text), { timeout: 20000 }, title);
  await page.screenshot({ path: screenshot });
  console.log(`browser check: "${title}" appeared in GraphiQL; screenshot ${screenshot}`);
} finally {
  await browser.close();
}
