# gunicorn reads this file from the working directory: in a checkout, plain `gunicorn 'mock_server:create_app()'`
# gets the mock's configuration. Outside one, name the packaged module: -c python:mock_server.gunicorn_conf
from mock_server.gunicorn_conf import *  # noqa: F403
