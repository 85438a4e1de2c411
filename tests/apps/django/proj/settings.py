"""Settings of a minimal Django project: one view, no database, no sessions, no static files."""
import os

SECRET_KEY = os.environ.get("SECRET_KEY", "hearth-test-app-key-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "proj.urls"
WSGI_APPLICATION = "proj.wsgi.application"
INSTALLED_APPS = []
MIDDLEWARE = []
DATABASES = {}
USE_TZ = True
