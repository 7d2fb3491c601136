// Page 1 (case a) and the page 900,000 deep (case b) under one closed-loop load, with a client
// that reads the bytes and decodes nothing: CONNS keep-alive sockets, each sending the next GET
// as soon as the previous answer's Content-Length bytes are in. The two pages take turns in
// slices of SLICE seconds, every socket switching at once, in the order a b b a, a b b a, … (so
// that a drift of the machine's speed, rising or falling, favours neither): both meet the same
// machine. On a shared 2-core VM the speed moves by a third within a minute, which two
// back-to-back runs of 5 s read as a difference between the pages.
//
// Why beside autocannon: autocannon appends every body to a JavaScript string, and with a
// character beyond Latin-1 its cost per response is four times as much once a body passes
// ≈ 63,000 characters (README, Performance; most of it its garbage collector): on two cores that
// cost is taken from the server's, so autocannon's page 1 ÷ deep page ratio measures its own
// decoding as much as the server. This one measures what a page costs the server, and
// `pnpm bench` judges depth by it.
//
// Usage: node raw-pages.mjs ; env URL, SMALL_ACCT, SMALL_KEY, BIG_ACCT, BIG_KEY, CURSOR,
// CONNS (50), DURATION (10 s, a whole number of a b b a turns), SLICE (0.5 s). Prints one JSON
// line a page: its req/s over its own slices, the answers that were not 2xx, the errors.
import net from "node:net";

const env = process.env;
const url = new URL(env.URL ?? "http://127.0.0.1:3201");
const conns = Number(env.CONNS ?? 50);
const slice = Number(env.SLICE ?? 0.5) * 1000;
const duration = Number(env.DURATION ?? 10) * 1000;
if (!(slice > 0) || !(duration >= 4 * slice) || duration % (4 * slice) !== 0) {
  console.error("raw-pages.mjs: DURATION must be a whole number of a b b a turns of SLICE each");
  process.exit(2);
}
const message = (path, key) =>
  Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${key}\r\n\r\n`);
const pages = [
  { case: "a", message: message(`/v1/accounts/${env.SMALL_ACCT}/issuers?limit=50`, env.SMALL_KEY) },
  { case: "b", message: message(`/v1/accounts/${env.BIG_ACCT}/issuers?limit=50&cursor=${env.CURSOR}`, env.BIG_KEY) },
].map((page) => ({ ...page, responses: 0, bytes: 0, non2xx: 0 }));
const HEAD_END = Buffer.from("\r\n\r\n");

let errors = 0;
const started = performance.now();
const ORDER = [0, 1, 1, 0];
/** The page whose turn it is, or null once the run is over. */
const turn = () => {
  const elapsed = performance.now() - started;
  return elapsed < duration ? pages[ORDER[Math.floor(elapsed / slice) % 4]] : null;
};
const sockets = [];

function connection() {
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    sockets.push(socket);
    let page = null; // the page asked for by the request in flight
    let head = Buffer.alloc(0); // the answer's bytes until its head is complete
    let left = -1; // bytes of the answer still to come, once its head is in
    let ended = false; // this socket is done: its run is over, or it failed (counted once)
    /** An answer without a length, a socket error, or a close the run did not ask for: one error. */
    const fail = () => {
      if (!ended) errors++;
      ended = true;
      socket.destroy();
      resolve();
    };
    const send = () => {
      page = turn();
      if (!page) {
        ended = true;
        socket.end();
        return resolve();
      }
      socket.write(page.message);
    };
    socket.on("connect", send);
    socket.on("data", (chunk) => {
      if (left < 0) {
        head = head.length ? Buffer.concat([head, chunk]) : chunk;
        const end = head.indexOf(HEAD_END);
        if (end < 0) return;
        const text = head.subarray(0, end).toString("latin1");
        const length = /\r\ncontent-length: *(\d+)/i.exec(text);
        if (!length || !page) return fail();
        if (!text.startsWith("HTTP/1.1 2")) page.non2xx++;
        left = end + HEAD_END.length + Number(length[1]);
        chunk = head;
        head = Buffer.alloc(0);
      }
      // No pipelining: nothing of a next answer can follow this one's last byte.
      left -= chunk.length;
      page.bytes += chunk.length;
      if (left > 0) return;
      page.responses++;
      left = -1;
      send();
    });
    socket.on("error", fail);
    socket.on("close", fail);
  });
}

// A server that stops answering ends the run as errors (its sockets' closes), not a hang.
setTimeout(() => {
  for (const socket of sockets) socket.destroy();
}, duration + 10_000).unref();
await Promise.all(Array.from({ length: conns }, connection));
for (const page of pages)
  console.log(
    JSON.stringify({
      case: page.case,
      mode: "raw",
      connections: conns,
      duration_s: duration / 2000,
      slice_s: slice / 1000,
      rps: Math.round(page.responses / (duration / 2000)),
      kB_per_req: page.responses ? Math.round(page.bytes / page.responses / 100) / 10 : 0,
      non2xx: page.non2xx,
      errors,
    }),
  );
