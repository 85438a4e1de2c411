"""A small Flask app: GET / says hello with its instance index, GET /env shows VCAP_* and PORT."""
import json
import os

from flask import Flask, jsonify

app = Flask(__name__)


def _vcap_application():
    return json.loads(os.environ.get("VCAP_APPLICATION", "{}"))


@app.route("/")
def hello():
    return "hello from flask, index %s\n" % _vcap_application().get("instance_index")


@app.route("/env")
def env():
    keys = ("PORT", "VCAP_APPLICATION", "VCAP_SERVICES", "MEMORY_LIMIT")
    return jsonify({k: os.environ.get(k) for k in keys})


if __name__ == "__main__":
    app.run(host="0.0.0.0", port=int(os.environ["PORT"]))
