// A tiny node app: GET / says hello with its instance index.
const http = require("http");
const app = JSON.parse(process.env.VCAP_APPLICATION || "{}");
http
  .createServer((req, res) => {
    res.end(`hello from node, index ${app.instance_index}\n`);
  })
  .listen(process.env.PORT, "0.0.0.0");
