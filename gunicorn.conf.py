# Gunicorn settings for the mock (`gunicorn 'mock_server:create_app()'`, read from the working directory).
# The mock's own settings come from KLING_MOCK_* variables; see README.md.
from mock_server.gunicorn_errors import install

bind = "127.0.0.1:8000"
workers = 2
worker_class = "gthread"
threads = 4
keepalive = 5

# Requests gunicorn refuses before the app sees them are answered in the Kling envelope too.
install()
