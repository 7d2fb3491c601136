// A closed-loop load of one list case with a client that reads the bytes and decodes nothing:
// CONNS keep-alive sockets, each sending the next GET as soon as the previous answer's
// Content-Length bytes are in. Why beside autocannon: autocannon appends every body to a
// JavaScript string, and its cost per response doubles once a body with a character beyond
// Latin-1 passes ≈ 62.9 KB (README, Performance): on a 2-core machine that cost is taken from
// the server's cores, so autocannon's page 1 ÷ deep page ratio measures its own decoding as much
// as the server. This one measures what a page costs the server.
// Usage: node raw-pages.mjs <a|b> ; env URL, SMALL_ACCT, SMALL_KEY, BIG_ACCT, BIG_KEY, CURSOR,
// CONNS (50), DURATION (5 s). Prints one JSON line.
import net from "node:net";

const [kase] = process.argv.slice(2);
const env = process.env;
const url = new URL(env.URL ?? "http://127.0.0.1:3201");
const conns = Number(env.CONNS ?? 50);
const duration = Number(env.DURATION ?? 5);
const requests = {
  a: { path: `/v1/accounts/${env.SMALL_ACCT}/issuers?limit=50`, key: env.SMALL_KEY },
  b: { path: `/v1/accounts/${env.BIG_ACCT}/issuers?limit=50&cursor=${env.CURSOR}`, key: env.BIG_KEY },
};
const request = requests[kase];
if (!request) {
  console.error("usage: raw-pages.mjs a|b");
  process.exit(2);
}
const message = Buffer.from(
  `GET ${request.path} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${request.key}\r\n\r\n`,
);
const HEAD_END = Buffer.from("\r\n\r\n");

let responses = 0;
let non2xx = 0;
let errors = 0;
let bytes = 0;
const end = performance.now() + duration * 1000;
const sockets = [];

function connection() {
  return new Promise((resolve) => {
    const socket = net.connect(Number(url.port), url.hostname);
    sockets.push(socket);
    let pending = Buffer.alloc(0);
    let want = -1; // bytes of the current answer (head + body), once its head is in
    socket.on("connect", () => socket.write(message));
    socket.on("data", (chunk) => {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      for (;;) {
        if (want < 0) {
          const head = pending.indexOf(HEAD_END);
          if (head < 0) return;
          const text = pending.subarray(0, head).toString("latin1");
          const length = /\r\ncontent-length: *(\d+)/i.exec(text);
          if (!length) {
            errors++;
            socket.destroy();
            return resolve();
          }
          if (!text.startsWith("HTTP/1.1 2")) non2xx++;
          want = head + HEAD_END.length + Number(length[1]);
        }
        if (pending.length < want) return;
        responses++;
        bytes += want;
        pending = pending.subarray(want);
        want = -1;
        if (performance.now() >= end) {
          socket.end();
          return resolve();
        }
        socket.write(message);
      }
    });
    socket.on("error", () => {
      errors++;
      resolve();
    });
    // A server that stops answering ends the run as an error, not a hang.
    socket.on("close", () => resolve());
  });
}

const started = performance.now();
setTimeout(
  () => {
    for (const socket of sockets)
      if (!socket.destroyed) {
        errors++;
        socket.destroy();
      }
  },
  (duration + 10) * 1000,
).unref();
await Promise.all(Array.from({ length: conns }, connection));
const seconds = (performance.now() - started) / 1000;
console.log(
  JSON.stringify({
    case: kase,
    mode: "raw",
    connections: conns,
    duration_s: duration,
    rps: Math.round(responses / seconds),
    kB_per_req: responses ? Math.round(bytes / responses / 100) / 10 : 0,
    non2xx,
    errors,
  }),
);
