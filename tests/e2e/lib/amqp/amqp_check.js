// A real AMQP 0-9-1 client for the broker tests.
//   node amqp_check.js URI put QUEUE MSG   declare QUEUE, publish MSG (exit 0)
//   node amqp_check.js URI get QUEUE       print one message of QUEUE ("" if none)
//   node amqp_check.js URI hold SECONDS    stay connected; exit 0 after SECONDS, 3 if the
//                                          server closes the connection first
// Any failure to connect or to operate exits 1 with the reason on stderr.
'use strict';
const amqp = require('amqplib');

async function main() {
  const [uri, cmd, a, b] = process.argv.slice(2);
  const conn = await amqp.connect(uri, { timeout: 5000 });
  if (cmd === 'hold') {
    let closed = false;
    conn.on('error', () => {});
    conn.on('close', () => { closed = true; });
    process.stdout.write('connected\n');
    const end = Date.now() + Number(a) * 1000;
    while (Date.now() < end && !closed) await new Promise((r) => setTimeout(r, 100));
    if (closed) process.exit(3);
    await conn.close();
    return;
  }
  const ch = await conn.createChannel();
  await ch.assertQueue(a, { durable: false });
  if (cmd === 'put') {
    ch.sendToQueue(a, Buffer.from(b));
    await ch.close();
  } else if (cmd === 'get') {
    const m = await ch.get(a, { noAck: true });
    process.stdout.write(m ? m.content.toString() : '');
  } else {
    throw new Error('unknown command ' + cmd);
  }
  await conn.close();
}

main().catch((e) => {
  process.stderr.write(String(e && e.message ? e.message : e) + '\n');
  process.exit(1);
});
