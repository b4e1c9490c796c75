// Refuses every request of `page` that would leave the machine, and
// returns the list of the refused URLs for the check to fail on.
export async function loopbackOnly(page) {
  const refused = [];
  await page.setRequestInterception(true);
  page.on('request', (request) => {
    const url = new URL(request.url());
    const local =
      url.protocol === 'data:' ||
      url.protocol === 'blob:' ||
      ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    if (local) {
      request.continue();
    } else {
      refused.push(request.url());
      request.abort('blockedbyclient');
    }
  });
  return refused;
}
