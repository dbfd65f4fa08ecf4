# Minimal Django settings for diskcached's e2e test: the cache framework on
# django_redis.cache.RedisCache pointed at DISKCACHED_URL.
import os

SECRET_KEY = "diskcached-e2e"
USE_TZ = True
INSTALLED_APPS = []
DATABASES = {}
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": os.environ.get("DISKCACHED_URL", "redis://127.0.0.1:6379/1"),
        "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        "TIMEOUT": 300,
    }
}
