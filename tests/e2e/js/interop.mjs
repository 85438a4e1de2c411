// nats.js (npm `nats` v2) against a NATS server binary: pub/sub, wildcards, queue groups,
// request/reply, headers, no responders, drain, reconnect after a restart, auth.
// Usage: node interop.mjs NAME /path/to/server-binary
// The script starts and stops the server itself on free loopback ports.
import { spawn } from "node:child_process";
import net from "node:net";
import assert from "node:assert/strict";
import { connect, StringCodec, headers, ErrorCode } from "nats";

const [name, bin] = process.argv.slice(2);
const sc = StringCodec();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = new Set();

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, "127.0.0.1");
      c.on("connect", () => { c.destroy(); resolve(true); });
      c.on("error", () => resolve(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error(`${name}: server did not start on ${port}`);
}

async function start(port, extra = []) {
  const p = spawn(bin, ["-a", "127.0.0.1", "-p", String(port), ...extra], { stdio: "ignore" });
  children.add(p);
  p.on("exit", () => children.delete(p));
  await waitPort(port);
  return p;
}

async function stop(p) {
  if (p.exitCode !== null) return;
  const done = new Promise((r) => p.on("exit", r));
  p.kill("SIGKILL");
  await done;
}

async function collect(sub, n, ms = 2000) {
  const out = [];
  const timer = setTimeout(() => sub.unsubscribe(), ms);
  for await (const m of sub) {
    out.push(m);
    if (out.length === n) break;
  }
  clearTimeout(timer);
  return out;
}

const tests = {
  async pubsubWildcards(port) {
    const nc = await connect({ servers: `127.0.0.1:${port}` });
    const star = nc.subscribe("foo.*");
    const gt = nc.subscribe("foo.>");
    const pStar = collect(star, 1, 1500);
    const pGt = collect(gt, 2, 1500);
    await nc.flush();
    nc.publish("foo.a", sc.encode("1"));
    nc.publish("foo.a.b", sc.encode("2"));
    nc.publish("foo", sc.encode("3"));
    await nc.flush();
    const a = await pStar, b = await pGt;
    assert.deepEqual(a.map((m) => m.subject), ["foo.a"]);
    assert.deepEqual(b.map((m) => sc.decode(m.data)), ["1", "2"]);
    await nc.close();
  },
  async queueGroups(port) {
    const a = await connect({ servers: `127.0.0.1:${port}` });
    const b = await connect({ servers: `127.0.0.1:${port}` });
    let n1 = 0, n2 = 0, plain = 0;
    a.subscribe("work", { queue: "g", callback: () => n1++ });
    b.subscribe("work", { queue: "g", callback: () => n2++ });
    b.subscribe("work", { callback: () => plain++ });
    await a.flush(); await b.flush();
    for (let i = 0; i < 200; i++) a.publish("work", sc.encode("x"));
    await a.flush();
    await sleep(300); await b.flush(); await a.flush();
    assert.equal(n1 + n2, 200);
    assert.equal(plain, 200);
    assert.ok(n1 >= 50 && n2 >= 50, `uneven spread ${n1}/${n2}`);
    await a.close(); await b.close();
  },
  async requestReplyHeaders(port) {
    const srv = await connect({ servers: `127.0.0.1:${port}` });
    const cli = await connect({ servers: `127.0.0.1:${port}` });
    srv.subscribe("svc.echo", {
      callback: (err, m) => {
        const h = headers();
        if (m.headers) h.set("X-Trace", m.headers.get("X-Trace"));
        m.respond(sc.encode("re:" + sc.decode(m.data)), { headers: h });
      },
    });
    await srv.flush();
    for (let i = 0; i < 20; i++) {
      const r = await cli.request("svc.echo", sc.encode("hi" + i), { timeout: 2000 });
      assert.equal(sc.decode(r.data), "re:hi" + i);
    }
    const h = headers();
    h.set("X-Trace", "abc-123");
    const r = await cli.request("svc.echo", sc.encode("h"), { timeout: 2000, headers: h });
    assert.equal(r.headers.get("X-Trace"), "abc-123");
    // no responders: immediate 503 instead of a timeout
    const t0 = Date.now();
    await assert.rejects(cli.request("nobody.home", sc.encode("x"), { timeout: 5000 }),
      (e) => e.code === ErrorCode.NoResponders);
    assert.ok(Date.now() - t0 < 4000);
    await srv.close(); await cli.close();
  },
  async autoUnsubscribe(port) {
    // nats.js sends SUB then UNSUB <sid> 1 back to back
    const nc = await connect({ servers: `127.0.0.1:${port}` });
    let got = 0;
    nc.subscribe("once", { max: 1, callback: () => got++ });
    const sub3 = nc.subscribe("thrice", { max: 3 });
    const p3 = collect(sub3, 5, 1500);
    await nc.flush();
    for (let i = 0; i < 5; i++) {
      nc.publish("once", sc.encode("x"));
      nc.publish("thrice", sc.encode(String(i)));
    }
    await nc.flush();
    await sleep(200);
    assert.equal(got, 1);
    assert.deepEqual((await p3).map((m) => sc.decode(m.data)), ["0", "1", "2"]);
    await nc.close();
  },
  async noEcho(port) {
    const nc = await connect({ servers: `127.0.0.1:${port}`, noEcho: true });
    const other = await connect({ servers: `127.0.0.1:${port}` });
    let self = 0, seen = 0;
    nc.subscribe("e", { callback: () => self++ });
    other.subscribe("e", { callback: () => seen++ });
    await nc.flush(); await other.flush();
    nc.publish("e", sc.encode("x"));
    await nc.flush(); await sleep(200); await other.flush();
    assert.equal(self, 0);
    assert.equal(seen, 1);
    await nc.close(); await other.close();
  },
  async drain(port) {
    const nc = await connect({ servers: `127.0.0.1:${port}` });
    const pub = await connect({ servers: `127.0.0.1:${port}` });
    let got = 0;
    const sub = nc.subscribe("d", { callback: () => got++ });
    await nc.flush();
    for (let i = 0; i < 50; i++) pub.publish("d", sc.encode("m"));
    await pub.flush();
    await sleep(200);
    await sub.drain();
    assert.equal(got, 50);
    await nc.drain();
    assert.ok(nc.isClosed());
    await pub.close();
  },
  async reconnect(port, ctx) {
    const nc = await connect({ servers: `127.0.0.1:${port}`, reconnectTimeWait: 100,
      maxReconnectAttempts: -1 });
    let got = 0;
    nc.subscribe("r.>", { callback: () => got++ });
    await nc.flush();
    await stop(ctx.proc);
    await sleep(300);
    ctx.proc = await start(port);
    for (let i = 0; i < 100 && got === 0; i++) {
      nc.publish("r.x", sc.encode("back"));
      await sleep(100);
    }
    assert.ok(got > 0, "no message after reconnect");
    await nc.close();
  },
};

async function authTests() {
  const port = await freePort();
  let p = await start(port, ["--user", "alice", "--pass", "wonder"]);
  await assert.rejects(connect({ servers: `127.0.0.1:${port}`, reconnect: false }));
  await assert.rejects(connect({ servers: `127.0.0.1:${port}`, user: "alice", pass: "x",
    reconnect: false }));
  let nc = await connect({ servers: `127.0.0.1:${port}`, user: "alice", pass: "wonder" });
  await nc.flush(); await nc.close();
  await stop(p);
  p = await start(port, ["--auth", "t0ken"]);
  await assert.rejects(connect({ servers: `127.0.0.1:${port}`, token: "bad", reconnect: false }));
  nc = await connect({ servers: `127.0.0.1:${port}`, token: "t0ken" });
  await nc.flush(); await nc.close();
  await stop(p);
}

let failed = 0;
try {
  for (const [tname, fn] of Object.entries(tests)) {
    const port = await freePort();
    const ctx = { proc: await start(port) };
    try {
      await fn(port, ctx);
      console.log(`ok   ${name} ${tname}`);
    } catch (e) {
      failed++;
      console.log(`FAIL ${name} ${tname}: ${e.stack || e}`);
    } finally {
      await stop(ctx.proc);
    }
  }
  try {
    await authTests();
    console.log(`ok   ${name} auth`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name} auth: ${e.stack || e}`);
  }
} finally {
  for (const c of children) c.kill("SIGKILL");
}
process.exit(failed ? 1 : 0);
