"""GET / says hello with the instance index, GET /env shows PORT and VCAP_APPLICATION."""
import json
import os

from django.http import HttpResponse, JsonResponse


def index(request):
    app = json.loads(os.environ.get("VCAP_APPLICATION", "{}"))
    return HttpResponse("hello from django, index %s\n" % app.get("instance_index"),
                        content_type="text/plain")


def env(request):
    return JsonResponse({k: os.environ.get(k) for k in ("PORT", "VCAP_APPLICATION")})
