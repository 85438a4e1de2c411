// A small Express app. Its dependencies come from the npm registry at staging time.
const express = require("express");

const vcap = JSON.parse(process.env.VCAP_APPLICATION || "{}");
const app = express();

app.get("/", (req, res) => res.type("text/plain").send(`hello from express, index ${vcap.instance_index}\n`));
app.get("/env", (req, res) => res.json({ port: process.env.PORT, name: vcap.name || vcap.application_name }));

app.listen(Number(process.env.PORT), "0.0.0.0");
