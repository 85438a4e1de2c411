// Peer figure for bench-http_parse: Node's built-in llhttp (the C parser behind node:http),
// driven through node's own binding, parsing the same request and response heads in a loop.
// Usage: node llhttp.js REQUEST_FILE RESPONSE_FILE [SECONDS]
'use strict';
const fs = require('fs');
const { HTTPParser } = require('_http_common');

const [reqFile, respFile, secsArg] = process.argv.slice(2);
const seconds = Number(secsArg || 1);

function run(kind, buf, name) {
    const parser = new HTTPParser();
    let heads = 0;
    parser.initialize(kind, {});
    parser[HTTPParser.kOnHeadersComplete] = function (major, minor, headers) {
        heads += headers.length > 0 ? 1 : 0;
        return 0;
    };
    parser[HTTPParser.kOnBody] = function () {};
    parser[HTTPParser.kOnMessageComplete] = function () {};
    let best = 0;
    for (let round = 0; round < 5; round++) {
        let n = 0;
        const t0 = process.hrtime.bigint();
        let t;
        do {
            for (let i = 0; i < 10000; i++) {
                // a fresh message each time, as a keep-alive connection would deliver
                const r = parser.execute(buf);
                if (r instanceof Error) throw r;
                parser.initialize(kind, {});
            }
            n += 10000;
            t = process.hrtime.bigint();
        } while (Number(t - t0) < (seconds / 5) * 1e9);
        best = Math.max(best, n / (Number(t - t0) / 1e9));
    }
    if (heads === 0) throw new Error('no head parsed');
    console.log(`llhttp ${name}: ${buf.length} bytes, ${best.toFixed(0)} heads/s, ` +
                `${(1e9 / best).toFixed(1)} ns/head`);
}

run(HTTPParser.REQUEST, fs.readFileSync(reqFile), 'request');
run(HTTPParser.RESPONSE, fs.readFileSync(respFile), 'response');
