"""Record the real service, replay it into the mock, check it against the spec (docs/recording.md).

* ``cassette``: vcrpy's cassette format, with the time of each exchange and the faults a client saw.
* ``redaction``: what never reaches a cassette (keys, cookies, signed URLs, media), and ``vcr_config()``
  for users who record with vcrpy or pytest-recording.
* ``recorder``: ``kling-lipsync record``, the recording proxy (served by gunicorn, which lends it the socket).
* ``check``: ``kling-lipsync check-recording``, every recorded exchange against openapi.yaml.

* ``replay``: the recording as the mock replays it (``kling-lipsync mock --replay DIR``; the answering is
  ``views.replayed``, step 5b of ``pipeline.py``).
"""
