"""HTTP plumbing of the emulator: the three hosts and everything between a socket and a route handler.

* ``server``: threaded HTTP/1.1 server on 127.0.0.1; ``messages``: Request/Response values
* ``api_host``: the ``/api/rest/v1`` host (auth, routing, rate limits, faults, validation, answers)
* ``upload_host``, ``cdn_host``, ``s3_common``: the presigned-upload ("S3") and CDN hosts
* ``router``, ``routing``: route table and route keys/patterns; ``schemas``: Hasura-like validation
* ``errors``: Hasura JSON and S3 XML errors; ``multipart``: form parser; ``signing``: URLs and policies
* ``records``: request log, hit counters, leaked-header log; ``ratelimit``; ``control``: ``/_emulator``
"""
