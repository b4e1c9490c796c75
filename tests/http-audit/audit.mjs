// The graphql-http server audits (GraphQL-over-HTTP spec conformance, the
// version pinned in package.json) against a running crm server.
//
//   node audit.mjs [URL] [TOKEN]      (or the env URL and TOKEN)
//
// The audits send their requests without credentials and the server answers
// those with 401, so the bearer token is added to every request by fetchFn.
// Prints every audit; exits 1 when a MUST (`error`) or a SHOULD (`warn`)
// fails. A failing MAY (`notice`) is printed but allowed.
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? process.env.URL ?? 'http://127.0.0.1:8080/graphql';
const token = process.argv[3] ?? process.env.TOKEN;
if (!token) {
    console.error('usage: node audit.mjs URL TOKEN (or the env URL and TOKEN)');
    process.exit(2);
}

const fetchFn = (input, init = {}) =>
    fetch(input, {
        ...init,
        headers: { ...Object.fromEntries(new Headers(init.headers)), authorization: `Bearer ${token}` },
    });

const results = await auditServer({ url, fetchFn });
const order = { error: 0, warn: 1, notice: 2, ok: 3 };
results.sort((a, b) => order[a.status] - order[b.status]);
for (const r of results) {
    console.log(`${r.status.padEnd(6)} ${r.id} ${r.name}${r.reason ? ` -- ${r.reason}` : ''}`);
    // For a failure, what the server answered (the body may be spent already).
    if (r.status !== 'ok' && r.response) {
        let body = '';
        try { body = (await r.response.text()).slice(0, 300); } catch { body = '(body already read)'; }
        console.log(`         ${r.response.status} ${r.response.headers.get('content-type') ?? '(no content-type)'} ${body}`);
    }
}
const failed = results.filter((r) => r.status === 'error' || r.status === 'warn').length;
const notices = results.filter((r) => r.status === 'notice').length;
console.log(`${results.length} audits: ${results.length - failed - notices} ok, ${notices} notice, ${failed} error or warn`);
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
