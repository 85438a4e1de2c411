// A node app reading its environment through the cfenv package: GET / answers the
// credentials of the bound service named by $SERVICE_NAME (default "db") as JSON,
// GET /app answers the app's name, port and URLs as cfenv sees them.
const http = require("http");
const cfenv = require("cfenv");

const appEnv = cfenv.getAppEnv();
const name = process.env.SERVICE_NAME || "db";

http
  .createServer((req, res) => {
    let body;
    if (req.url === "/app") {
      body = { name: appEnv.name, port: appEnv.port, urls: appEnv.urls, isLocal: appEnv.isLocal };
    } else {
      body = appEnv.getServiceCreds(name);
      if (!body) {
        res.writeHead(404, { "Content-Type": "application/json" });
        res.end(JSON.stringify({ error: `no service named ${name}` }) + "\n");
        return;
      }
    }
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body) + "\n");
  })
  .listen(appEnv.port, "0.0.0.0");
