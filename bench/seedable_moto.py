"""moto's S3 server for the benchmark, with one addition: objects can be put straight into moto's S3 backend.

Usage: python3 bench/seedable_moto.py   (prints "Running on http://127.0.0.1:PORT", then serves until killed)

The server is moto's own WSGI application on werkzeug's threaded server, exactly what the moto_server command runs,
on 127.0.0.1 and a free port. One extra route, answered in this process and never seen by moto:

    POST /_bench/seed?bucket=NAME&dir=/abs/folder

creates the bucket and puts every regular file under the folder into it, keyed by its path relative to the folder
with "/" separators, through moto's backend (s3_backends[account]["global"].put_object): no HTTP request per
object. moto computes each object's ETag as the MD5 of its bytes, so the bucket lists exactly as S3 lists it after
single-part uploads of those files. The answer is JSON: {"objects": N, "bytes": B, "seconds": S}.

Why: moto stores 150 to 300 objects a second over HTTP on one core; a 30,000-object bucket would cost minutes to
seed that way, and seconds this way. Bucket names never start with "_", so the route cannot shadow an S3 call.
"""

import json
import os
import sys
import time
from urllib.parse import parse_qs

from moto.core import DEFAULT_ACCOUNT_ID
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from moto.s3.models import s3_backends
from werkzeug.serving import make_server

SEED_PATH = "/_bench/seed"


def seed(bucket, root):
    """Creates the bucket and puts every file under root into it; returns (objects, bytes)."""
    backend = s3_backends[DEFAULT_ACCOUNT_ID]["global"]
    backend.create_bucket(bucket, "us-east-1")
    objects = total = 0
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                value = f.read()
            key = os.path.relpath(path, root).replace(os.sep, "/")
            backend.put_object(bucket, key, value, disable_notification=True)
            objects += 1
            total += len(value)
    return objects, total


def application(moto_app):
    def app(environ, start_response):
        if environ.get("PATH_INFO") != SEED_PATH:
            return moto_app(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        try:
            if environ.get("REQUEST_METHOD") != "POST":
                raise ValueError("POST only")
            started = time.monotonic()
            objects, total = seed(query["bucket"][0], query["dir"][0])
            status = "200 OK"
            body = {"objects": objects, "bytes": total, "seconds": round(time.monotonic() - started, 3)}
        except Exception as e:  # the benchmark reports the reason and stops
            status = "500 Internal Server Error"
            body = {"error": f"{type(e).__name__}: {e}"}
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return app


def main():
    moto_app = DomainDispatcherApplication(create_backend_app)
    moto_app.debug = True  # as moto_server sets it
    server = make_server("127.0.0.1", 0, application(moto_app), threaded=True)
    print(f"Running on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
