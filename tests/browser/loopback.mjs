// Refuses every request of `page` that would leave the machine, and
// returns the list of the refused URLs (WebSockets, which cannot be
// intercepted, are listed when they are opened) for the check to fail on.
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function isLocal(address) {
  const url = new URL(address);
  return url.protocol === 'data:' || url.protocol === 'blob:' || LOOPBACK.has(url.hostname);
}

export async function loopbackOnly(page) {
  const refused = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    if (isLocal(request.url())) {
      request.continue();
    } else {
      refused.push(request.url());
      request.abort('blockedbyclient');
    }
  });
  const cdp = await page.createCDPSession();
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketCreated', ({ url }) => {
    if (!isLocal(url)) refused.push(url);
  });
  return refused;
}
